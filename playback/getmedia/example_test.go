package getmedia_test

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/shardcast/shardcast/playback/getmedia"
)

// A GetMedia body (here a file; with the AWS SDK, GetMediaOutput.Payload)
// read fragment by fragment.
func ExampleReader() {
	body, err := os.Open("testdata/av-restart.mkv")
	if err != nil {
		panic(err)
	}
	defer body.Close()
	r := getmedia.NewReader(body)
	for {
		f, err := r.Next()
		var kvsErr *getmedia.Error
		if errors.As(err, &kvsErr) {
			continue // KVS could not send this fragment
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		video := f.Track(1)
		fmt.Printf("%d frames, %s %dx%d\n", len(f.Frames), video.CodecID, video.Width, video.Height)
	}
	// Output:
	// 54 frames, V_MPEG4/ISO/AVC 320x240
	// 72 frames, V_MPEG4/ISO/AVC 320x240
	// 54 frames, V_MPEG4/ISO/AVC 160x120
	// 72 frames, V_MPEG4/ISO/AVC 160x120
}

// The same body as one fragmented MP4.
func ExampleWriteMP4() {
	body, err := os.Open("testdata/av-restart.mkv")
	if err != nil {
		panic(err)
	}
	defer body.Close()
	out, err := os.CreateTemp("", "example-*.mp4")
	if err != nil {
		panic(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	stats, err := getmedia.WriteMP4(out, getmedia.NewReader(body))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d fragments, %d frames\n", stats.Fragments, stats.Frames)
	// Output: 4 fragments, 252 frames
}
