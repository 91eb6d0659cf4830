package sqlengine

import (
	"encoding/json"
	"testing"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// The hotspots example: points in a 10 x 10 square, a fifth of them in a
// 1 x 1 hotspot that moves every 1000 points.
func TestExampleHotspots(t *testing.T) {
	schema := []StreamSchema{{Name: src, Columns: []sqltypes.Column{col("x", "DOUBLE"), col("y", "DOUBLE"), col("is_hot", "VARCHAR(4)")}}}
	p := mustCompile(t, `CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    "x" DOUBLE,
    "y" DOUBLE,
    "is_hot" VARCHAR(4),
    HOTSPOTS_RESULT VARCHAR(10000)
);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
    INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT "x", "y", "is_hot", "HOTSPOTS_RESULT"
    FROM TABLE (
        HOTSPOTS(
            CURSOR(SELECT STREAM "x", "y", "is_hot" FROM "SOURCE_SQL_STREAM_001"),
            1000,
            0.2,
            17)
    );`, schema)
	rng := newRand(41)
	var ins []in
	var hot [][2]float64
	for i := range 3000 {
		if i%1000 == 0 {
			hot = append(hot, [2]float64{1 + 8*rng.Float64(), 1 + 8*rng.Float64()})
		}
		h := hot[len(hot)-1]
		x, y, flag := 10*rng.Float64(), 10*rng.Float64(), "N"
		if rng.IntN(5) == 0 {
			x, y, flag = h[0]-0.5+rng.Float64(), h[1]-0.5+rng.Float64(), "Y"
		}
		ins = append(ins, in{src, int64(i) * 10, []sqltypes.Value{dbl(x), dbl(y), str(flag)}})
	}
	out := pick(run(t, p, ins, 1<<40, 0, false), "DESTINATION_SQL_STREAM")
	// at the end of each hotspot's 1000 points, the densest hotspot is it
	for k, at := range []int{999, 1999, 2999} {
		var res struct {
			Hotspots []struct {
				Density   float64   `json:"density"`
				MinValues []float64 `json:"minValues"`
				MaxValues []float64 `json:"maxValues"`
			} `json:"hotspots"`
		}
		if err := json.Unmarshal([]byte(out[at].Values[3].S), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Hotspots) == 0 {
			t.Fatalf("row %d: no hotspot", at)
		}
		top, h := res.Hotspots[0], hot[k]
		if top.Density < 5 || top.MinValues[0] > h[0] || top.MaxValues[0] < h[0] || top.MinValues[1] > h[1] || top.MaxValues[1] < h[1] {
			t.Fatalf("row %d: densest hotspot %+v does not hold the hot square at %v", at, top, h)
		}
	}
	short := ins[:250]
	runCheckedEvery(t, p, short, 1<<40, 60)
}
