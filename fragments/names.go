package fragments

import "github.com/shardcast/shardcast/datastreams/registry"

// CheckStreamName reports whether name can name a video stream: KVS's
// pattern, 1 to 256 of [a-zA-Z0-9_.-], and neither "." nor "..", which the
// pattern allows but a URL path (RTSP, the plain HLS and player URLs)
// cannot reach. Every way a name enters (the API, an RTSP publish, a pull
// source) checks it here.
func CheckStreamName(name string) error {
	if len(name) < 1 || len(name) > 256 {
		return errorf(registry.ErrInvalidArgument, "The stream name %q is not valid: it must be 1 to 256 characters long.", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return errorf(registry.ErrInvalidArgument, "The stream name %q is not valid: it may hold only letters, digits, '_', '.' and '-'.", name)
		}
	}
	if name == "." || name == ".." {
		return errorf(registry.ErrInvalidArgument, "The stream name %q is not valid: it cannot be a path segment of dots.", name)
	}
	return nil
}
