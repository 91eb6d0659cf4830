package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest/webrtc"
	"gopkg.in/yaml.v3"
)

// WebRTCOptions are the WHIP/WHEP settings beyond the address.
type WebRTCOptions struct {
	Address string `yaml:"address"`
	// Hosts are extra addresses (IPs or names) offered as ICE host
	// candidates: a NAT's public address, a container's host.
	Hosts []string `yaml:"hosts"`
	// ICEServers are STUN/TURN servers handed to clients.
	ICEServers []webrtc.ICEServer `yaml:"ice_servers"`
	// Token is a bearer token every WHIP/WHEP request must carry; Tokens
	// gives streams their own (and wins over Token for them).
	Token  string            `yaml:"token"`
	Tokens map[string]string `yaml:"tokens"`
	// MaxBitrate caps what a publisher sends, bits per second.
	MaxBitrate int64 `yaml:"max_bitrate"`
	// KeyframeInterval is how often publishers are asked for a keyframe.
	KeyframeInterval time.Duration `yaml:"keyframe_interval"`
}

// UnmarshalYAML takes webrtc: as an address alone or as the whole section.
func (o *WebRTCOptions) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&o.Address)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: webrtc must be an address or a mapping", n.Line)
	}
	known := map[string]bool{"address": true, "hosts": true, "ice_servers": true, "token": true, "tokens": true,
		"max_bitrate": true, "keyframe_interval": true}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("line %d: field %s not found in webrtc", n.Content[i].Line, k)
		}
	}
	type plain WebRTCOptions
	p := plain(*o)
	if err := n.Decode(&p); err != nil {
		return err
	}
	*o = WebRTCOptions(p)
	return nil
}

// bitrateText writes a default bitrate as parseBitrate reads it: 8M.
func bitrateText(n int64) string {
	switch {
	case n%1_000_000 == 0:
		return strconv.FormatInt(n/1_000_000, 10) + "M"
	case n%1000 == 0:
		return strconv.FormatInt(n/1000, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

// validate checks the WebRTC options (host names are resolved at start).
func (o *WebRTCOptions) validate() []error {
	var errs []error
	for _, h := range o.Hosts {
		if h == "" || strings.ContainsAny(h, " /:[]") && net.ParseIP(h) == nil {
			errs = append(errs, fmt.Errorf("webrtc host %q: want an IP address or a host name (no port: the ICE port is the webrtc address's)", h))
		}
	}
	for _, s := range o.ICEServers {
		if err := webrtc.ValidateICEServer(s); err != nil {
			errs = append(errs, err)
		}
	}
	if o.MaxBitrate < 100_000 || o.MaxBitrate > 1_000_000_000 {
		errs = append(errs, fmt.Errorf("webrtc max_bitrate %d: need 100000 (100 kbit/s) to 1000000000 (1 Gbit/s)", o.MaxBitrate))
	}
	if o.KeyframeInterval < 500*time.Millisecond || o.KeyframeInterval > time.Minute {
		errs = append(errs, fmt.Errorf("webrtc keyframe_interval %v: need 500ms to 1m", o.KeyframeInterval))
	}
	if strings.ContainsAny(o.Token, " \t\r\n") {
		errs = append(errs, errors.New("webrtc token must not contain spaces"))
	}
	for stream, tok := range o.Tokens {
		if err := fragments.CheckStreamName(stream); err != nil {
			errs = append(errs, fmt.Errorf("webrtc tokens: %q is not a stream name: %w", stream, err))
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
			errs = append(errs, fmt.Errorf("webrtc tokens: the token of %q must be non-empty, without spaces", stream))
		}
	}
	return errs
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseBitrate reads bits per second: a number, or one with k or M.
func parseBitrate(v string) (int64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(v, "k"), strings.HasSuffix(v, "K"):
		mult, v = 1e3, v[:len(v)-1]
	case strings.HasSuffix(v, "M"):
		mult, v = 1e6, v[:len(v)-1]
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("want bits per second such as 8000000 or 8M")
	}
	return int64(f * mult), nil
}
