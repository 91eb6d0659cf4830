// Package getmedia reads the body of a Kinesis Video Streams GetMedia or
// GetMediaForFragmentList answer, from shardcast or from AWS, and writes it
// out as one fragmented MP4.
//
// Such a body is a row of small Matroska documents, one per fragment, each
// with its own header (tracks and codec private data), tags before the
// cluster (AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP,
// _PRODUCER_TIMESTAMP, and the producer's own tags), one cluster of
// frames, and tags after it (_MILLIS_BEHIND_NOW, _CONTINUATION_TOKEN). A
// Reader turns it into Fragments; a fragment KVS could not send comes as
// an *Error with its fragment number, and reading goes on.
//
// MP4Writer and WriteMP4 turn fragments of H.264, H.265, AAC and Opus into
// a fragmented MP4 (ftyp and moov, then a moof and mdat per fragment) that
// players and ffmpeg read as one file with continuous decode times.
//
// Reading a stream into a file with the AWS SDK for Go:
//
//	out, err := client.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{
//		StreamName:    aws.String("cam1"),
//		StartSelector: &types.StartSelector{StartSelectorType: types.StartSelectorTypeEarliest},
//	})
//	if err != nil {
//		return err
//	}
//	defer out.Payload.Close()
//	f, err := os.Create("cam1.mp4")
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	stats, err := getmedia.WriteMP4(f, getmedia.NewReader(out.Payload))
//
// or fragment by fragment:
//
//	r := getmedia.NewReader(out.Payload)
//	for {
//		frag, err := r.Next()
//		var kvsErr *getmedia.Error
//		if errors.As(err, &kvsErr) {
//			continue // KVS could not send this fragment; the next may come
//		}
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		fmt.Println(frag.FragmentNumber, frag.ProducerTimestamp, len(frag.Frames))
//	}
package getmedia
