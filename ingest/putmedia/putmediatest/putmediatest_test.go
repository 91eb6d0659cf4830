package putmediatest

import "testing"

func TestReadH264(t *testing.T) {
	aus, sps, pps, err := ReadH264("../../../fragments/testdata/video.h264")
	if err != nil {
		t.Fatal(err)
	}
	keys := 0
	for _, au := range aus {
		if au.Keyframe {
			keys++
		}
	}
	if len(aus) != 75 || keys != 3 || sps == nil || pps == nil {
		t.Fatalf("%d access units, %d keyframes, sps %x pps %x", len(aus), keys, sps, pps)
	}
}
