package main

// Who can reach the server: the configured credentials, and the safe
// defaults that keep a server without them on loopback.

import (
	"fmt"
	"net"
)

// exposed are the listeners that serve streams, by setting name: safe
// defaults apply to them.
func (c *Config) exposed() []struct {
	name string
	addr *string
} {
	return []struct {
		name string
		addr *string
	}{{"http", &c.HTTP}, {"rtsp", &c.RTSP}, {"rtsps", &c.RTSPS}, {"rtsp_udp_rtp", &c.RTSPUDPRTP}, {"rtsp_udp_rtcp", &c.RTSPUDPRTCP}, {"webrtc", &c.WebRTC}}
}

// open reports that the server runs without credentials and listens only
// where that is safe unless InsecureOpen says otherwise.
func (c *Config) open() bool { return len(c.authKeys()) == 0 && len(c.Auth.Tokens) == 0 }

// checkExposure refuses, when no credentials are configured and
// insecure_open is not set, an address whose host reaches beyond this
// machine (0.0.0.0, ::, a LAN address or a name other than localhost). An
// address without a host is fine: it binds loopback (loopbackDefaults).
func (c *Config) checkExposure() []error {
	if !c.open() || c.InsecureOpen {
		return nil
	}
	var errs []error
	for _, l := range c.exposed() {
		host, _, err := net.SplitHostPort(*l.addr)
		if err != nil || host == "" || host == "localhost" {
			continue
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("%s address %q reaches beyond this machine and no credentials are configured: set --access-key-id and --secret-access-key (or auth keys in the config file), or pass --insecure-open to let anyone who can reach it publish and read",
				l.name, *l.addr))
		}
	}
	return errs
}

// loopbackDefaults gives every listener address without a host (":8080")
// the host 127.0.0.1 when no credentials are configured and insecure_open
// is not set; it reports whether it did.
func (c *Config) loopbackDefaults() bool {
	if !c.open() || c.InsecureOpen {
		return false
	}
	for _, l := range c.exposed() {
		if host, port, err := net.SplitHostPort(*l.addr); err == nil && host == "" {
			*l.addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	return true
}
