package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static
var staticFS embed.FS

// assets serves the console's static files under a path that carries a
// hash of their content, so browsers may keep them for good and a new
// release is fetched at once.
type assets struct {
	hashes map[string]string // name below static/ -> hash prefix
}

func newAssets() *assets {
	a := &assets{hashes: map[string]string{}}
	fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a
}

// url is the address of a static file, for templates: {{asset "console.css"}}.
func (a *assets) url(name string) string {
	return "/static/" + a.hashes[name] + "/" + name
}

func (a *assets) serve(c echo.Context) error {
	name := c.Param("*")
	if h, ok := a.hashes[name]; !ok || h != c.Param("hash") {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	ctype := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".js"):
		ctype = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		ctype = "text/css; charset=utf-8"
	}
	return c.Blob(http.StatusOK, ctype, b)
}
