package main

// What the server prints at start: its URLs and who may reach it.

import (
	"fmt"
	"io"
	"net"
)

// URL is the base URL of the HTTP listener.
func (s *server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if s.tls != nil {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// printURLs prints the banner: where data lives, every listener's URL and
// the access the server grants.
func (s *server) printURLs(w io.Writer) {
	where := "memory (nothing persists)"
	if s.cfg.Storage == "file" {
		where = s.cfg.DataDir
	}
	fmt.Fprintf(w, "shardcast %s, data in %s\n", version, where)
	fmt.Fprintf(w, "  Console      %s/   (a browser: streams, live and recorded video, data, delivery, SQL)\n", s.URL())
	fmt.Fprintf(w, "  Kinesis API  %s/   (aws --endpoint-url %s kinesis list-streams)\n", s.URL(), s.URL())
	fmt.Fprintf(w, "  Video API    %s/   (aws --endpoint-url %s kinesisvideo list-streams)\n", s.URL(), s.URL())
	fmt.Fprintf(w, "  DynamoDB API %s/   (lease tables: aws --endpoint-url %s dynamodb list-tables)\n", s.URL(), s.URL())
	fmt.Fprintf(w, "  Firehose API %s/   (aws --endpoint-url %s firehose list-delivery-streams)\n", s.URL(), s.URL())
	fmt.Fprintf(w, "  SQL apps API %s/   (aws --endpoint-url %s kinesisanalytics list-applications)\n", s.URL(), s.URL())
	fmt.Fprintf(w, "  RTSP ingest  rtsp://%s/<stream>\n", hostPort(s.rtsp.Addr()))
	fmt.Fprintf(w, "  RTSP live    rtsp://%s/<stream>   (ffplay, VLC, OpenCV: the live edge)\n", hostPort(s.rtsp.Addr()))
	if a := s.rtsp.TLSAddr(); a != "" {
		fmt.Fprintf(w, "  RTSPS        rtsps://%s/<stream>   (over TLS, TCP only: ingest and live)\n", hostPort(a))
	}
	if s.transport != nil {
		fmt.Fprintf(w, "  WHIP ingest  %s/whip/<stream>   (ICE %s udp+tcp; a browser: %s/publish/<stream>)\n", s.URL(), hostPort(s.transport.UDPAddr()), s.URL())
		fmt.Fprintf(w, "  WHEP live    %s/whep/<stream>\n", s.URL())
	}
	fmt.Fprintf(w, "  Live HLS     %s/hls/<stream>/index.m3u8   (ffplay, hls.js, Safari)\n", s.URL())
	fmt.Fprintf(w, "  Player       %s/play/<stream>\n", s.URL())
	fmt.Fprintf(w, "  Health       %s/healthz\n", s.URL())
	switch {
	case s.loopback:
		fmt.Fprintln(w, "  Access       loopback only: no credentials configured (--access-key-id/--secret-access-key to serve the network)")
	case len(s.cfg.authKeys()) == 0:
		fmt.Fprintln(w, "  Access       OPEN to anyone who can reach it (--insecure-open, no credentials)")
	default:
		fmt.Fprintln(w, "  Access       credentials required: SigV4 for the APIs; RTSP and HLS as user key id, password secret (or presigned HLS URLs)")
	}
}

// hostPort names a listener address as a client would dial it.
func hostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
