package ui

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// wordListOut is a sensitive-word list as the API shows it.
type wordListOut struct {
	Name   string         `json:"name"`
	Action app.WordAction `json:"action"`
	Words  []string       `json:"words"`
}

func (s *Server) listWordLists(c echo.Context) error {
	lists, err := s.opts.Words.WordLists(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	out := listing[wordListOut]{Items: make([]wordListOut, len(lists))}
	for i, l := range lists {
		out.Items[i] = wordListOut{Name: l.Name, Action: l.Action, Words: l.Words}
		if out.Items[i].Words == nil {
			out.Items[i].Words = []string{}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// saveWordList answers PUT /api/v1/word-lists/{name}: JSON {"action",
// "words": [...]}, or a text file (one word per line) with ?action=. An
// empty list removes it. A bad line refuses the whole file, naming it.
func (s *Server) saveWordList(c echo.Context) error {
	l := app.WordList{Name: c.Param("name")}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxUploadBytes))
	if err != nil {
		return app.FieldError("file", "词库文件超过 8 MB")
	}
	// JSON when it says so, or when it plainly is (curl -d sends it as a
	// form); a word file is sent as text/plain.
	ctype := c.Request().Header.Get(echo.HeaderContentType)
	if strings.HasPrefix(ctype, echo.MIMEApplicationJSON) ||
		!strings.HasPrefix(ctype, echo.MIMETextPlain) && strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		var body struct {
			Action app.WordAction `json:"action"`
			Words  []string       `json:"words"`
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(b))
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		l.Action, l.Words = body.Action, body.Words
	} else {
		if l.Words, err = app.ParseWordList(string(b)); err != nil {
			return err
		}
		l.Action = app.WordAction(c.QueryParam("action"))
	}
	if err := s.opts.Words.SaveWordList(c.Request().Context(), principal(c), l); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"name": l.Name, "action": l.Action, "count": len(l.Words)})
}

func (s *Server) getUnsubscribeWords(c echo.Context) error {
	if !principal(c).CanManageChannels() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员可以查看退订关键词")
	}
	words, err := s.opts.Words.UnsubscribeWords(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]string{"words": words})
}

func (s *Server) setUnsubscribeWords(c echo.Context) error {
	var body struct {
		Words []string `json:"words"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.opts.Words.SetUnsubscribeWords(c.Request().Context(), principal(c), body.Words); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, body)
}
