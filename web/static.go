package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// static holds files served under /static/: hls.js 1.7.0 (Apache-2.0, its
// license beside it), the player the /play pages use.
//
//go:embed static
var static embed.FS

func staticHandler() http.Handler {
	sub, _ := fs.Sub(static, "static")
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}
