package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"
	"golang.org/x/sys/unix"
)

// ICEServer is a STUN or TURN server handed to clients.
type ICEServer struct {
	URL        string `yaml:"url"` // stun:host:port, turn:host:port?transport=udp, turns:...
	Username   string `yaml:"username"`
	Credential string `yaml:"credential"`
}

// Config configures a Transport.
type Config struct {
	// Address is where ICE listens, over UDP and TCP on the same port
	// (default ":8189").
	Address string
	// Hosts are extra addresses (IPs or host names) offered as host
	// candidates on the ICE port: a NAT's public address, a container's
	// host. The machine's own addresses are offered too.
	Hosts []string
	// ICEServers are handed to clients in Link headers.
	ICEServers []ICEServer
	// MaxBitrate caps what a publisher sends, in bits per second (default
	// 8 Mbit/s).
	MaxBitrate int64
	// KeyframeInterval is how often publishers are asked for a keyframe
	// (default 2s).
	KeyframeInterval time.Duration
	// DisconnectTimeout ends a session whose ICE stays disconnected this
	// long (default 5s).
	DisconnectTimeout time.Duration
	// Listen and ListenPacket open the sockets (default net.Listen and
	// net.ListenPacket).
	Listen       func(network, address string) (net.Listener, error)
	ListenPacket func(network, address string) (net.PacketConn, error)
	Logger       *slog.Logger
}

// Transport is the one pion API of a server, with its sockets.
type Transport struct {
	cfg  Config
	api  *webrtc.API
	udp  net.PacketConn
	tcp  net.Listener
	umux ice.UDPMux
	tmux ice.TCPMux
	log  *slog.Logger

	closeOnce sync.Once
}

// Defaults.
const (
	DefaultAddress          = ":8189"
	DefaultMaxBitrate       = 8_000_000
	DefaultKeyframeInterval = 2 * time.Second
)

// NewTransport opens the ICE sockets and builds the API.
func NewTransport(cfg Config) (t *Transport, err error) {
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	if cfg.MaxBitrate <= 0 {
		cfg.MaxBitrate = DefaultMaxBitrate
	}
	if cfg.KeyframeInterval <= 0 {
		cfg.KeyframeInterval = DefaultKeyframeInterval
	}
	if cfg.DisconnectTimeout <= 0 {
		cfg.DisconnectTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == nil {
		cfg.Listen = net.Listen
	}
	if cfg.ListenPacket == nil {
		cfg.ListenPacket = net.ListenPacket
	}
	for _, s := range cfg.ICEServers {
		if err := checkICEServer(s); err != nil {
			return nil, err
		}
	}
	external, err := resolveHosts(cfg.Hosts)
	if err != nil {
		return nil, err
	}
	tr := &Transport{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			tr.Close()
		}
	}()
	if err = tr.listen(); err != nil {
		return nil, err
	}
	t = tr
	t.growReadBuffer()
	lf := &loggerFactory{log: cfg.Logger}
	t.umux = webrtc.NewICEUDPMux(lf.NewLogger("ice-udp"), t.udp)
	t.tmux = webrtc.NewICETCPMux(lf.NewLogger("ice-tcp"), t.tcp, 8)

	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.SetICEUDPMux(t.umux)
	se.SetICETCPMux(t.tmux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	se.SetIncludeLoopbackCandidate(true)
	// mDNS candidates cost CPU and help no WHIP client of a server.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(cfg.DisconnectTimeout, cfg.DisconnectTimeout+5*time.Second, 2*time.Second)
	if len(external) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{External: external,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteAppend}); err != nil {
			return nil, fmt.Errorf("webrtc: hosts: %w", err)
		}
	}
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	ir.Add(reuseAttributesFactory{}) // first: the innermost reader (attrs.go)
	if err := webrtc.ConfigureNack(me, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(me, ir); err != nil {
		return nil, err
	}
	t.api = webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
	t.log.Info("webrtc listening", "udp", t.udp.LocalAddr().String(), "tcp", t.tcp.Addr().String(), "hosts", strings.Join(external, ","))
	return t, nil
}

// listen opens the UDP socket and, on the same port number, the ICE-TCP
// listener. An address with port 0 takes the UDP socket's port for TCP
// too; when another program holds that TCP port, both are opened again on
// another one (a few times).
func (t *Transport) listen() error {
	host, portStr, err := net.SplitHostPort(t.cfg.Address)
	if err != nil {
		return fmt.Errorf("webrtc: address %q: %w", t.cfg.Address, err)
	}
	tries := 1
	if portStr == "0" {
		tries = 8
	}
	for i := 0; ; i++ {
		if t.udp, err = t.cfg.ListenPacket("udp", t.cfg.Address); err != nil {
			return fmt.Errorf("webrtc: %w", err)
		}
		port := t.udp.LocalAddr().(*net.UDPAddr).Port
		if t.tcp, err = t.cfg.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port))); err == nil {
			return nil
		}
		t.udp.Close()
		t.udp = nil
		if i+1 >= tries {
			return fmt.Errorf("webrtc: %w", err)
		}
	}
}

// udpReadBuffer is the kernel receive buffer asked for the ICE UDP
// socket. Every session's media arrives on that one socket, and the
// default buffer (about 200 KiB) holds only tens of milliseconds of a few
// publishers: a keyframe burst, or a moment when the reading goroutine is
// not scheduled, overflows it. Each packet lost there costs a NACK, a
// retransmission and a wait in the reorder buffer, or a dropped frame.
const udpReadBuffer = 8 << 20

// growReadBuffer enlarges the UDP socket's receive buffer. The kernel caps
// SO_RCVBUF at net.core.rmem_max; with CAP_NET_ADMIN, SO_RCVBUFFORCE goes
// past the cap. A smaller buffer than asked for is logged with the fix.
func (t *Transport) growReadBuffer() {
	sc, ok := t.udp.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	got := 0
	rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, udpReadBuffer) != nil {
			return
		}
		// Linux reports (and allots) twice the size asked for.
		if got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF); got < 2*udpReadBuffer {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, udpReadBuffer) == nil {
				got, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
			}
		}
	})
	if got > 0 && got < 2*udpReadBuffer {
		t.log.Info("webrtc: the UDP receive buffer is smaller than asked for; with many publishers packets may be lost (raise it with sysctl net.core.rmem_max=8388608)",
			"buffer_kib", got/2/1024, "asked_kib", udpReadBuffer/1024)
	} else {
		t.log.Debug("webrtc: UDP receive buffer", "kib", got/2/1024)
	}
}

// UDPAddr and tcpAddr are the bound ICE addresses.
func (t *Transport) UDPAddr() string { return t.udp.LocalAddr().String() }

// tcpAddr is the bound ICE-TCP address.
func (t *Transport) tcpAddr() string { return t.tcp.Addr().String() }

// Close closes the sockets; sessions must have been closed before.
func (t *Transport) Close() error {
	t.closeOnce.Do(func() {
		if t.umux != nil {
			t.umux.Close() // closes the UDP socket
		} else if t.udp != nil {
			t.udp.Close()
		}
		if t.tmux != nil {
			t.tmux.Close() // closes the listener
		} else if t.tcp != nil {
			t.tcp.Close()
		}
	})
	return nil
}

// linkHeaders are the ICE servers as RFC 9725 Link header values.
func (t *Transport) linkHeaders() []string {
	out := make([]string, 0, len(t.cfg.ICEServers))
	for _, s := range t.cfg.ICEServers {
		v := "<" + s.URL + `>; rel="ice-server"`
		if s.Username != "" || s.Credential != "" {
			v += `; username="` + quoteEscape(s.Username) + `"; credential="` + quoteEscape(s.Credential) + `"; credential-type="password"`
		}
		out = append(out, v)
	}
	return out
}

func quoteEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// checkICEServer validates a STUN or TURN server.
func checkICEServer(s ICEServer) error {
	scheme, rest, ok := strings.Cut(s.URL, ":")
	if !ok || rest == "" {
		return fmt.Errorf("webrtc: ICE server %q: want stun:host[:port] or turn:host[:port]", s.URL)
	}
	switch scheme {
	case "stun", "stuns":
	case "turn", "turns":
		if s.Username == "" || s.Credential == "" {
			return fmt.Errorf("webrtc: TURN server %q needs a username and a credential", s.URL)
		}
	default:
		return fmt.Errorf("webrtc: ICE server %q: the scheme must be stun, stuns, turn or turns", s.URL)
	}
	if strings.ContainsAny(s.URL, "<> \t\"") {
		return fmt.Errorf("webrtc: ICE server %q: bad characters", s.URL)
	}
	// Host, port and query (RFC 7064, 7065) as clients will read them.
	if u, err := stun.ParseURI(s.URL); err != nil || u.Port < 1 || u.Port > 65535 {
		return fmt.Errorf("webrtc: ICE server %q: want %s:host[:port] with a port of 1-65535 (and ?transport=udp|tcp for TURN only)", s.URL, scheme)
	}
	return nil
}

// ValidateICEServer checks a STUN or TURN server as the transport would.
func ValidateICEServer(s ICEServer) error { return checkICEServer(s) }

// resolveHosts turns host names into IPs (the addresses to advertise).
func resolveHosts(hosts []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		var ips []string
		if ip := net.ParseIP(h); ip != nil {
			ips = []string{ip.String()}
		} else {
			addrs, err := net.LookupHost(h)
			if err != nil {
				return nil, fmt.Errorf("webrtc: host %q: %w", h, err)
			}
			ips = addrs
		}
		for _, ip := range ips {
			if !seen[ip] {
				seen[ip] = true
				out = append(out, ip)
			}
		}
	}
	return out, nil
}

var errClosed = errors.New("webrtc: shutting down")
