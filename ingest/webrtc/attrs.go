package webrtc

import "github.com/pion/interceptor"

// reuseAttributes is an interceptor that lends every incoming RTP stream
// one attributes map, emptied for each packet. pion starts each packet's
// way up the interceptor chain with no attributes, and the first
// interceptor that wants the parsed RTP header (the NACK generator, the
// receiver reports, TWCC all do) makes a map to cache it in: a map per
// packet, a few hundred a second per publisher, which showed in the
// server's allocation profile. Registered first, it is the innermost
// reader, so the others find the map already there.
//
// The map is the stream's own and a stream's packets are read one at a
// time, so it is never used by two packets at once. What the chain
// returns with a packet is valid until the next packet of the stream is
// read: pion passes it up to TrackRemote.Read, whose caller (this
// package's reader) does not look at it.
type reuseAttributes struct {
	interceptor.NoOp
}

type reuseAttributesFactory struct{}

func (reuseAttributesFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &reuseAttributes{}, nil
}

// BindRemoteStream wraps the stream's reader.
func (*reuseAttributes) BindRemoteStream(_ *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	attrs := interceptor.Attributes{}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if a == nil {
			clear(attrs)
			a = attrs
		}
		return reader.Read(b, a)
	})
}
