package transform

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

var t0 = time.UnixMilli(1_700_000_000_123)

func recs(data ...string) []delivery.Record {
	out := make([]delivery.Record, len(data))
	for i, d := range data {
		out[i] = delivery.Record{ID: fmt.Sprintf("r%d", i), Data: []byte(d), Arrival: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

func procs(ps ...Processor) ProcessingConfiguration {
	return ProcessingConfiguration{Enabled: true, Processors: ps}
}

func proc(typ string, kv ...string) Processor {
	p := Processor{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Parameters = append(p.Parameters, Parameter{ParameterName: kv[i], ParameterValue: kv[i+1]})
	}
	return p
}

func mustNew(t *testing.T, cfg Config) *Pipeline {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p *Pipeline, in []delivery.Record) ([]delivery.Record, []Failed) {
	t.Helper()
	out, failed, err := p.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out, failed
}

func datas(rs []delivery.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Data)
	}
	return out
}
