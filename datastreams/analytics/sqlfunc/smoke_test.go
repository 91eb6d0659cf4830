package sqlfunc

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func TestSmoke(t *testing.T) {
	l := New(Config{Now: func() int64 { return 0 }})
	f, ok := l.Lookup("+")
	if !ok {
		t.Fatal("no +")
	}
	ty, err := f.Check([]Arg{{Type: typ(sqltypes.Integer)}, {Type: typ(sqltypes.Double)}})
	if err != nil || ty.Kind != sqltypes.Double {
		t.Fatal(ty, err)
	}
	v, err := f.Eval([]sqltypes.Value{sqltypes.Int(1), sqltypes.Float(2.5)})
	if err != nil || v.F != 3.5 {
		t.Fatal(v, err)
	}
}
