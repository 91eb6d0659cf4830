package transform

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A transform function written for AWS Lambda in Python, served over HTTP
// by python3 (a test dependency of the project): the contract as real
// functions see it.
func TestLambdaPythonFunction(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for this test (apt-get install python3)")
	}
	cmd := exec.Command(py, "testdata/transform_function.py")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the function did not start: %v", err)
	}
	url := "http://127.0.0.1:" + strings.TrimSpace(port) + "/"

	p := mustNew(t, Config{
		DynamicPartitioning: true,
		StreamARN:           streamARN,
		Region:              "us-east-1",
		LambdaEndpoints:     map[string]string{fnARN: url},
		RetryBackoff:        time.Millisecond,
		Processing:          procs(proc(TypeLambda, "LambdaArn", fnARN)),
	})
	in := recs(`{"customer":"c1","v":1}`, `{"customer":"c2","action":"drop"}`, `not json`, `{"customer":7}`)
	out, failed := run(t, p, in)
	if len(out) != 2 || len(failed) != 1 {
		t.Fatalf("out %q, failed %+v", datas(out), failed)
	}
	var doc map[string]any
	if err := json.Unmarshal(out[0].Data, &doc); err != nil || doc["processed"] != true || doc["arrival_ms"] != float64(t0.UnixMilli()) {
		t.Errorf("out[0] = %q (%v)", out[0].Data, err)
	}
	if !strings.HasSuffix(string(out[1].Data), "\n") {
		t.Errorf("out[1] = %q", out[1].Data)
	}
	if out[0].PartitionKeys["customer"] != "c1" || out[1].PartitionKeys["customer"] != "7" {
		t.Errorf("keys %v %v", out[0].PartitionKeys, out[1].PartitionKeys)
	}
	if f := failed[0]; f.Code != CodeLambdaProcessingFailed || string(f.Record.Data) != "not json" || f.LambdaARN != fnARN {
		t.Errorf("failed = %+v", f)
	}
}
