package ui

import (
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 敏感词: the sensitive-word lists and the unsubscribe replies, for system
// administrators. A list is replaced whole, from the text box or a file.

func (s *Server) wordsPage(c echo.Context) error {
	return s.renderWords(c, http.StatusOK, map[string]any{})
}

// shownWords is how many words of a list the page puts in its text box; a
// longer list is replaced by uploading a file.
const shownWords = 2000

func (s *Server) renderWords(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	if !p.CanManageChannels() {
		return s.forbidden(c)
	}
	ctx := c.Request().Context()
	lists, err := s.opts.Words.WordLists(ctx, p)
	if err != nil {
		return err
	}
	type row struct {
		Name, Action, Words string
		Count               int
		Cut                 bool
	}
	rows := make([]row, 0, len(lists))
	for _, l := range lists {
		r := row{Name: l.Name, Action: string(l.Action), Count: len(l.Words), Cut: len(l.Words) > shownWords}
		r.Words = strings.Join(l.Words[:min(len(l.Words), shownWords)], "\n")
		rows = append(rows, r)
	}
	unsub, err := s.opts.Words.UnsubscribeWords(ctx)
	if err != nil {
		return err
	}
	data["Lists"], data["Unsubscribe"] = rows, strings.Join(unsub, " ")
	return s.console.render(c, status, "words.html", s.page(c, "敏感词", data))
}

// wordsAction saves a list (from the text box, or a file when one is
// given), or the unsubscribe replies.
func (s *Server) wordsAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.CanManageChannels()); !ok {
		return err
	}
	ctx := c.Request().Context()
	var err error
	var note string
	switch c.Param("action") {
	case "save":
		l := app.WordList{Name: strings.TrimSpace(c.FormValue("name")), Action: app.WordAction(c.FormValue("action"))}
		params, _ := c.FormParams() // urlencoded or multipart
		text, typed := "", len(params["words"]) > 0
		if typed {
			text = params["words"][0]
		}
		if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
			typed = true
			text, err = readUpload(fh, maxUploadBytes)
		}
		if err == nil && typed {
			l.Words, err = app.ParseWordList(text)
		} else if err == nil {
			// A list too long for the page's box: only its action changes.
			l.Words, err = s.storedWords(c, p, l.Name)
		}
		if err == nil {
			err = s.opts.Words.SaveWordList(ctx, p, l)
		}
		note = "词库“" + l.Name + "”已保存，共" + strconv.Itoa(len(l.Words)) + "个词"
		if len(l.Words) == 0 {
			note = "词库“" + l.Name + "”已删除"
		}
	case "unsubscribe":
		err = s.opts.Words.SetUnsubscribeWords(ctx, p, strings.Fields(c.FormValue("words")))
		note = "退订关键词已保存"
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), "words."+c.Param("action"), "word_list:"+c.FormValue("name"), err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderWords(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return s.renderWords(c, http.StatusOK, map[string]any{"Note": note})
}

// storedWords returns the words of the list called name.
func (s *Server) storedWords(c echo.Context, p *app.Principal, name string) ([]string, error) {
	lists, err := s.opts.Words.WordLists(c.Request().Context(), p)
	if err != nil {
		return nil, err
	}
	for _, l := range lists {
		if l.Name == name {
			return l.Words, nil
		}
	}
	return nil, app.FieldError("words", "请填写词或上传词库文件")
}

// readUpload reads an uploaded file of at most limit bytes as text.
func readUpload(fh *multipart.FileHeader, limit int64) (string, error) {
	if fh.Size > limit {
		return "", app.FieldError("file", "文件超过 %d MB", limit>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	return string(b), err
}
