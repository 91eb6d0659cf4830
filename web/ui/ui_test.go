package ui

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/web/awsapi"
)

func newUI(keys map[string]awsapi.Key) *UI {
	return New(Config{Auth: &awsapi.Auth{Keys: keys}, Version: "v-test", RTSPPort: func() string { return "8554" }})
}

// The login answers a session cookie that scripts cannot read and other
// sites do not send, and the session's CSRF token in its body; the
// session endpoint reports it; logout needs the token and clears it.
func TestLoginSessionLogout(t *testing.T) {
	u := newUI(map[string]awsapi.Key{"AKID": {Secret: "s"}})
	w := httptest.NewRecorder()
	u.ServeLogin(w, httptest.NewRequest("POST", "/ui/api/login", strings.NewReader(`{"accessKeyId":"AKID","secretAccessKey":"nope"}`)))
	if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
		t.Fatalf("a wrong secret: %d %v", w.Code, w.Result().Cookies())
	}
	w = httptest.NewRecorder()
	u.ServeLogin(w, httptest.NewRequest("POST", "/ui/api/login", strings.NewReader(`{`)))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d", w.Code)
	}
	w = httptest.NewRecorder()
	u.ServeLogin(w, httptest.NewRequest("POST", "/ui/api/login", strings.NewReader(`{"accessKeyId":"AKID","secretAccessKey":"s"}`)))
	cookies := w.Result().Cookies()
	if w.Code != http.StatusOK || len(cookies) != 1 {
		t.Fatalf("login: %d %v", w.Code, cookies)
	}
	c := cookies[0]
	if c.Name != awsapi.ConsoleCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Fatalf("cookie %+v", c)
	}
	var in sessionInfo
	json.Unmarshal(w.Body.Bytes(), &in)
	if !in.LoggedIn || in.User != "AKID" || in.CSRF == "" || in.Open || in.RTSP != "rtsp://example.com:8554/" {
		t.Fatalf("login answer %+v", in)
	}
	r := httptest.NewRequest("GET", "/ui/api/session", nil)
	r.AddCookie(c)
	w = httptest.NewRecorder()
	u.ServeSession(w, r)
	var s sessionInfo
	json.Unmarshal(w.Body.Bytes(), &s)
	if !s.LoggedIn || s.CSRF != in.CSRF || s.User != "AKID" {
		t.Fatalf("session %+v", s)
	}
	out := httptest.NewRequest("POST", "/ui/api/logout", nil)
	out.AddCookie(c)
	w = httptest.NewRecorder()
	u.ServeLogout(w, out)
	if w.Code != http.StatusForbidden {
		t.Fatalf("logout without the token: %d", w.Code)
	}
	out.Header.Set(awsapi.ConsoleCSRFHeader, in.CSRF)
	w = httptest.NewRecorder()
	u.ServeLogout(w, out)
	if w.Code != http.StatusNoContent || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %v", w.Code, w.Result().Cookies())
	}
	w = httptest.NewRecorder()
	u.ServeSession(w, r)
	s = sessionInfo{}
	json.Unmarshal(w.Body.Bytes(), &s)
	if s.LoggedIn || s.CSRF != "" {
		t.Fatalf("after logout %+v", s)
	}
}

// The page and its assets: the page allows only its own scripts, styles
// and connections; assets are revalidated by ETag; the templates are not
// served as assets; browsers get the page, other clients do not.
func TestPageAndAssets(t *testing.T) {
	u := newUI(nil)
	w := httptest.NewRecorder()
	u.ServeIndex(w, httptest.NewRequest("GET", "/", nil))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	if !strings.Contains(w.Body.String(), `<script type="module" src="/ui/assets/js/app.js">`) {
		t.Fatal("the page does not load the console")
	}
	w = httptest.NewRecorder()
	u.ServeAsset(w, httptest.NewRequest("GET", "/ui/assets/js/app.js", nil))
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d %q %q", w.Code, etag, w.Header().Get("Content-Type"))
	}
	r := httptest.NewRequest("GET", "/ui/assets/js/app.js", nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	u.ServeAsset(w, r)
	if w.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", w.Code)
	}
	for _, p := range []string{"/ui/assets/pages/play.html", "/ui/assets/../ui.go", "/ui/assets/nothing.js"} {
		w = httptest.NewRecorder()
		u.ServeAsset(w, httptest.NewRequest("GET", p, nil))
		if w.Code != http.StatusNotFound {
			t.Fatalf("%s: %d", p, w.Code)
		}
	}
	browser := httptest.NewRequest("GET", "/", nil)
	browser.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if !WantsPage(browser) || WantsPage(httptest.NewRequest("GET", "/", nil)) {
		t.Fatal("WantsPage")
	}
	// Every module the page loads is embedded.
	var mods []string
	fs.WalkDir(u.files, "js", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			mods = append(mods, p)
		}
		return err
	})
	for _, want := range []string{"js/overview.js", "js/video.js", "js/data.js", "js/delivery.js", "js/sql.js", "js/publish.js", "js/wall.js", "js/player.js"} {
		if !strings.Contains(strings.Join(mods, " "), want) {
			t.Fatalf("%s is not embedded: %v", want, mods)
		}
	}
}

// The player and publishing pages carry the stream's name as data, escaped.
func TestPlayerPages(t *testing.T) {
	u := newUI(nil)
	w := httptest.NewRecorder()
	u.ServePlayer(w, `cam"<x>`, "/hls/cam/index.m3u8?X-Amz-Signature=1&a=2")
	body := w.Body.String()
	if !strings.Contains(body, `data-stream="cam&#34;&lt;x&gt;"`) || !strings.Contains(body, `data-playlist="/hls/cam/index.m3u8?X-Amz-Signature=1&amp;a=2"`) {
		t.Fatalf("play page: %s", body)
	}
	w = httptest.NewRecorder()
	u.ServePublisher(w, "door")
	if !strings.Contains(w.Body.String(), `src="/ui/assets/js/publishpage.js"`) {
		t.Fatalf("publish page: %s", w.Body.String())
	}
}
