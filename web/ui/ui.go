package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/shardcast/shardcast/web/awsapi"
)

//go:embed assets
var assets embed.FS

// Config is what the console needs from the server.
type Config struct {
	Auth    *awsapi.Auth
	Logger  *slog.Logger
	Version string
	// RTSPPort returns the port cameras publish to, shown in the
	// console's hints ("" when RTSP is off).
	RTSPPort func() string
	// Secure reports whether r came over TLS: the session cookie is then
	// marked Secure.
	Secure func(r *http.Request) bool
}

// UI serves the console.
type UI struct {
	cfg    Config
	files  fs.FS
	etags  map[string]string // by asset path, of its content
	index  []byte
	player *template.Template
}

// New returns the console's handlers.
func New(cfg Config) *UI {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	u := &UI{cfg: cfg, files: sub, etags: map[string]string{}}
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		u.etags[p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		if p == "index.html" {
			u.index = b
		}
		return nil
	})
	u.player = template.Must(template.ParseFS(sub, "pages/*.html"))
	return u
}

// WantsPage reports whether a GET of / is a browser's (it accepts HTML):
// other clients (curl) get the plain-text landing page.
func WantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// ServeIndex answers GET / with the console's page.
func (u *UI) ServeIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "same-origin")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(u.index))
}

// csp allows the console's own scripts, styles, media and connections, and
// nothing from elsewhere; blob: and data: carry clips and thumbnails.
const csp = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; " +
	"connect-src 'self'; style-src 'self'; script-src 'self'; worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"

// ServeAsset answers GET /ui/assets/*: revalidated by ETag each time, so a
// new binary's assets are seen at once.
func (u *UI) ServeAsset(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, "/ui/assets/")), "/")
	etag, ok := u.etags[p]
	if !ok || strings.HasPrefix(p, "pages/") {
		http.NotFound(w, r)
		return
	}
	f, err := u.files.Open(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, p, time.Time{}, f.(io.ReadSeeker))
}

// sessionInfo is what the console learns of its session.
type sessionInfo struct {
	// Open: no credentials are configured, anyone may do anything.
	Open     bool      `json:"open"`
	LoggedIn bool      `json:"loggedIn"`
	User     string    `json:"user,omitempty"`
	CSRF     string    `json:"csrf,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Version  string    `json:"version"`
	// RTSP is where cameras publish: rtsp://host:port/ ("" when off).
	RTSP string `json:"rtsp,omitempty"`
}

func (u *UI) info(r *http.Request) sessionInfo {
	s := sessionInfo{Open: u.cfg.Auth.Open(), Version: u.cfg.Version}
	if port := u.cfg.RTSPPort; port != nil && port() != "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		s.RTSP = "rtsp://" + net.JoinHostPort(host, port()) + "/"
	}
	return s
}

// ServeSession answers GET /ui/api/session: whether the cookie names a
// live session, who it logged in as and its CSRF token.
func (u *UI) ServeSession(w http.ResponseWriter, r *http.Request) {
	s := u.info(r)
	user, csrf, expires, ok := u.cfg.Auth.ConsoleSession(r)
	s.LoggedIn = ok
	if ok {
		s.User, s.CSRF, s.Expires = user, csrf, expires
	}
	writeJSON(w, http.StatusOK, s)
}

// ServeLogin answers POST /ui/api/login {"accessKeyId", "secretAccessKey"}:
// a session cookie and the session's CSRF token, or 401.
func (u *UI) ServeLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		awsapi.WriteError(w, r, u.cfg.Logger, nil, awsapi.RESTJSON, &awsapi.APIError{Type: "SerializationException", Status: http.StatusBadRequest, Message: "The login's body is not valid JSON."})
		return
	}
	token, csrf, expires, err := u.cfg.Auth.ConsoleLogin(r, in.AccessKeyID, in.SecretAccessKey)
	if err != nil {
		u.cfg.Logger.Info("console login refused", "access_key_id", in.AccessKeyID, "remote", r.RemoteAddr)
		var ae *awsapi.APIError
		if !errors.As(err, &ae) {
			err = awsapi.Internal()
		}
		awsapi.WriteError(w, r, u.cfg.Logger, nil, awsapi.RESTJSON, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: awsapi.ConsoleCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.cfg.Secure != nil && u.cfg.Secure(r)})
	s := u.info(r)
	s.User, s.CSRF, s.Expires, s.LoggedIn = in.AccessKeyID, csrf, expires, true
	if s.Open {
		s.User = ""
	}
	writeJSON(w, http.StatusOK, s)
}

// ServeLogout answers POST /ui/api/logout: the session ends and its
// cookie is cleared.
func (u *UI) ServeLogout(w http.ResponseWriter, r *http.Request) {
	if err := u.cfg.Auth.ConsoleLogout(r); err != nil {
		awsapi.WriteError(w, r, u.cfg.Logger, nil, awsapi.RESTJSON, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: awsapi.ConsoleCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.cfg.Secure != nil && u.cfg.Secure(r)})
	w.WriteHeader(http.StatusNoContent)
}

// ServePlayer answers /play/{stream} (the caller has checked access): a
// page that plays the stream live; playlist is its HLS playlist, presigned
// when the page was opened with credentials in its URL.
func (u *UI) ServePlayer(w http.ResponseWriter, stream, playlist string) {
	u.page(w, "play.html", map[string]string{"Stream": stream, "Playlist": playlist})
}

// ServePublisher answers /publish/{stream} (the caller has checked
// access): a page that publishes the browser's camera over WHIP.
func (u *UI) ServePublisher(w http.ResponseWriter, stream string) {
	u.page(w, "publish.html", map[string]string{"Stream": stream})
}

func (u *UI) page(w http.ResponseWriter, name string, data map[string]string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := u.player.ExecuteTemplate(w, name, data); err != nil {
		u.cfg.Logger.Error("ui page", "page", name, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
