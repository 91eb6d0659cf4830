package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// TestOnDemandAcrossPublisherSessions publishes one stream in several
// publisher sessions (each starts a new init segment) and decodes the whole
// ON_DEMAND fMP4 session with ffmpeg, which reads every segment of an HLS
// playlist into one MP4 demuxer: it must get every published frame. When
// each session restarted its decode times (tfdt) at 0, ffmpeg dropped the
// first frames of every session after the first whose decode time was not
// past what it had already read.
func TestOnDemandAcrossPublisherSessions(t *testing.T) {
	srv := videoServer(t, false, nil)
	url := srv.URL()
	const stream, sessions, seconds = "sessions", 4, 2
	for range sessions {
		runCamera(t, ffmpegCamera(t, "rtsp://"+srv.rtsp.Addr()+"/"+stream, seconds, "tcp", "h264"))
		waitIdle(t, srv)
	}
	archived := archivedClient(t, url, stream)
	frags := listAll(t, archived, stream, amtypes.FragmentSelectorTypeServerTimestamp)
	sortFragments(frags)
	first, last := frags[0], frags[len(frags)-1]
	out, err := archived.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeServerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: first.ServerTimestamp, EndTimestamp: last.ServerTimestamp}}})
	if err != nil {
		t.Fatal(err)
	}
	_, mediaURL := mediaPlaylistOf(t, *out.HLSStreamingSessionURL)
	if maps := strings.Count(getText(t, mediaURL), "#EXT-X-MAP:"); maps != sessions {
		t.Fatalf("playlist has %d init segments, want one per publisher session (%d)", maps, sessions)
	}
	// probe also fails on decode times that do not grow across the session.
	if video, _ := probe(t, *out.HLSStreamingSessionURL); video != sessions*seconds*25 {
		t.Errorf("ffmpeg decodes %d video frames of the whole session, want the %d published", video, sessions*seconds*25)
	}
}
