package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// freeTCPAddr returns a loopback address no one listens on (at the moment).
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// bindable opens and closes a listener on addr: the address is free.
func bindable(network, addr string) error {
	var c io.Closer
	var err error
	if network == "udp" {
		c, err = net.ListenPacket(network, addr)
	} else {
		c, err = net.Listen(network, addr)
	}
	if err == nil {
		c.Close()
	}
	return err
}

// A port already in use ends start-up with one line that names it and a
// non-zero exit; every listener that did open is closed again.
func TestStartupFailsCleanlyOnATakenPort(t *testing.T) {
	for _, taken := range []string{"http", "rtsp", "rtsp-udp-rtp", "rtsp-udp-rtcp", "pprof"} {
		t.Run(taken, func(t *testing.T) {
			rtp, rtcp := freeUDPPair(t)
			addrs := map[string]string{"http": freeTCPAddr(t), "rtsp": freeTCPAddr(t), "pprof": freeTCPAddr(t),
				"rtsp-udp-rtp": fmt.Sprintf("127.0.0.1:%d", rtp), "rtsp-udp-rtcp": fmt.Sprintf("127.0.0.1:%d", rtcp)}
			network := func(name string) string {
				if strings.HasPrefix(name, "rtsp-udp") {
					return "udp"
				}
				return "tcp"
			}
			var holder io.Closer
			var err error
			if network(taken) == "udp" {
				holder, err = net.ListenPacket("udp", addrs[taken])
			} else {
				holder, err = net.Listen("tcp", addrs[taken])
			}
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Close()

			args := []string{"--data-dir", t.TempDir(), "--log-level", "warn"}
			for name, addr := range addrs {
				args = append(args, "--"+name, addr)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, func(string) string { return "" }, &stdout, &stderr)
			if code == 0 {
				t.Fatalf("exit code 0 with %s taken; stdout:\n%s", taken, stdout.String())
			}
			want := fmt.Sprintf("shardcast: cannot listen on %s (%s): address already in use\n", addrs[taken], taken)
			if got := stderr.String(); !strings.Contains(got, want) || strings.Contains(strings.ToLower(got), "panic") {
				t.Fatalf("stderr:\n%s\nwant the line %q and no panic", got, want)
			}
			for name, addr := range addrs {
				if name == taken {
					continue
				}
				if err := bindable(network(name), addr); err != nil {
					t.Errorf("%s (%s) still held after the failed start: %v", name, addr, err)
				}
			}
		})
	}
}
