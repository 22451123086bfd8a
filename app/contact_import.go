package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// An import (导入) reads a table of contacts into one book, in the
// background; it leaves a result (导入结果) with its counts and the rows it
// could not take, each with its line and reason.

// ImportStatus is where an import stands.
type ImportStatus string

// The statuses of an import.
const (
	ImportRunning     ImportStatus = "running"
	ImportDone        ImportStatus = "done"
	ImportInterrupted ImportStatus = "interrupted" // the server stopped mid-way; the rows done stay
	ImportStopped     ImportStatus = "stopped"     // a write failed (the disk full, say); the rows done stay
)

// Import limits: one running import per user (or app), a few at once in all.
const (
	MaxRunningImports = 4
)

// OnDuplicate says what an import does with a number the book has.
type OnDuplicate string

// The choices for a number the book has already.
const (
	DuplicateSkip   OnDuplicate = "skip"   // keep the contact as it is
	DuplicateUpdate OnDuplicate = "update" // fill in the row's non-empty fields, add its groups and tags
)

// ParseOnDuplicate reads the choice; "" is skip.
func ParseOnDuplicate(s string) (OnDuplicate, error) {
	switch OnDuplicate(s) {
	case "", DuplicateSkip:
		return DuplicateSkip, nil
	case DuplicateUpdate:
		return DuplicateUpdate, nil
	}
	return "", FieldError("on_duplicate", "重复号码的处理应为 skip（跳过）或 update（更新），而不是%q", s)
}

// ContactImport is one import and its result.
type ContactImport struct {
	ID           int64
	UserID       int64  // who imported (0 for an app without a user)
	APIKeyID     int64  // the app it came through (0 for the console)
	Operator     string // the user's name or the app's, as listed
	FileName     string
	Book         Book
	DepartmentID int64
	OwnerID      int64
	GroupID      int64 // every row also joins this group (0: none)
	OnDuplicate  OnDuplicate
	Status       ImportStatus
	Total        int // data rows of the file
	Imported     int // new contacts
	Updated      int // contacts the rows updated
	Skipped      int // rows whose number the book (or an earlier row) had
	Failed       int // rows refused, listed with their reasons
	CreatedAt    time.Time
	DoneAt       time.Time
}

// Done is how many rows the import has dealt with.
func (i *ContactImport) Done() int { return i.Imported + i.Updated + i.Skipped + i.Failed }

// ContactRow is one data row of an import, by field.
type ContactRow struct {
	Line    int // in the file, from 1, the header included
	Name    string
	Phone   string
	Company string
	Title   string
	Groups  string // group names, separated by , ， ; ； 、 or |
	Tags    string // the same
	Note    string
}

// ImportFailure is a row an import refused.
type ImportFailure struct {
	Line   int
	Name   string
	Phone  string // as written in the file
	Reason string
}

// ImportFilter selects import results: operator is part of a user's or
// app's name.
type ImportFilter struct {
	Operator string
	Since    time.Time
	Until    time.Time
	Cursor   string
	Limit    int
}

// MaxImportRows caps an import's data rows.
const MaxImportRows = 100000

// ImportFields are the fields a table's columns map to, in the order the
// console shows them, with the header words that name each.
var ImportFields = []struct {
	Field string
	Label string
	Words []string
}{
	{"name", "姓名", []string{"姓名", "名字", "联系人", "name"}},
	{"phone", "手机号", []string{"手机", "移动电话", "mobile", "联系方式", "联系电话", "电话", "号码", "phone", "tel"}},
	{"company", "单位", []string{"单位", "公司", "工作单位", "单位名称", "company"}},
	{"title", "职务", []string{"职务", "职位", "title"}},
	{"groups", "分组", []string{"分组", "群组", "group"}},
	{"tags", "标签", []string{"标签", "tag"}},
	{"note", "备注", []string{"备注", "说明", "note", "remark"}},
}

// GuessColumns maps a header row's cells to fields by the words they hold
// (ignoring case and spaces; "手机号码（必填）" is the phone column). ok is
// false unless it finds the phone column: a row without it is data, or a
// title above the header. A mobile-phone word wins over a plain telephone
// word for the phone column (手机 over 电话).
func GuessColumns(header []string) (columns map[string]int, ok bool) {
	columns = map[string]int{}
	rank := map[string]int{} // the best word index found per field; lower is better
	for i, cell := range header {
		word := strings.ToLower(strings.Join(strings.Fields(cell), ""))
		if word == "" || utf8.RuneCountInString(word) > 20 {
			continue
		}
		for _, f := range ImportFields {
			for k, w := range f.Words {
				if !strings.Contains(word, w) {
					continue
				}
				if r, taken := rank[f.Field]; !taken || k < r {
					columns[f.Field], rank[f.Field] = i, k
				}
				break
			}
		}
	}
	// One column, one field: the phone column keeps its field.
	if p, found := columns["phone"]; found {
		for f, i := range columns {
			if f != "phone" && i == p {
				delete(columns, f)
			}
		}
	}
	_, ok = columns["phone"]
	return columns, ok
}

// FindHeader looks for the header among a table's first rows (a title
// row may sit above it): the row index and its columns.
func FindHeader(rows [][]string) (int, map[string]int, bool) {
	for i := 0; i < len(rows) && i < 5; i++ {
		if columns, ok := GuessColumns(rows[i]); ok {
			return i, columns, true
		}
	}
	return 0, nil, false
}

// CheckColumns refuses a mapping without a phone column, to an unknown
// field, or of two fields to one column.
func CheckColumns(columns map[string]int) error {
	known := map[string]bool{}
	for _, f := range ImportFields {
		known[f.Field] = true
	}
	used := map[int]string{}
	for field, i := range columns {
		if !known[field] {
			return FieldError("columns", "未知的字段 %s", field)
		}
		if i < 0 || i >= 64 {
			return FieldError("columns", "字段 %s 的列号 %d 无效", field, i)
		}
		if other, dup := used[i]; dup {
			return FieldError("columns", "第%d列不能同时是 %s 和 %s", i+1, other, field)
		}
		used[i] = field
	}
	if _, ok := columns["phone"]; !ok {
		return FieldError("columns", "请指定手机号所在的列")
	}
	return nil
}

// ImportRows turns a table's data rows into contact rows by the columns;
// first is the line of rows[0]. Blank rows are dropped.
func ImportRows(rows [][]string, columns map[string]int, first int) []ContactRow {
	cell := func(r []string, field string) string {
		i, ok := columns[field]
		if !ok || i >= len(r) {
			return ""
		}
		return strings.TrimSpace(r[i])
	}
	out := make([]ContactRow, 0, len(rows))
	for k, r := range rows {
		row := ContactRow{Line: first + k, Name: cell(r, "name"), Phone: cell(r, "phone"), Company: cell(r, "company"),
			Title: cell(r, "title"), Groups: cell(r, "groups"), Tags: cell(r, "tags"), Note: cell(r, "note")}
		if row == (ContactRow{Line: row.Line}) {
			continue
		}
		out = append(out, row)
	}
	return out
}

// SplitNames splits a cell of group names or tags.
func SplitNames(cell string) []string {
	parts := strings.FieldsFunc(cell, func(r rune) bool {
		return strings.ContainsRune(",，;；、|", r)
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Contact makes the row's contact for a book; an error is the row's reason.
func (r *ContactRow) Contact(book Book, dept, owner int64) (*Contact, error) {
	name := r.Name
	if name == "" {
		name = r.Phone // a row with a number alone is still a contact
	}
	c := &Contact{Book: book, DepartmentID: dept, OwnerID: owner, Name: name, Phone: r.Phone, Company: r.Company,
		Title: r.Title, Tags: SplitNames(r.Tags), Note: r.Note}
	if err := c.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Details != nil {
			for _, f := range ImportFields {
				if f.Field == e.Details["field"] || f.Field == "groups" && e.Details["field"] == "group_ids" {
					return nil, fmt.Errorf("%s：%s", f.Label, e.Message)
				}
			}
		}
		return nil, fmt.Errorf("%s", ErrorMessage(err))
	}
	return c, nil
}

// ContactImportService runs imports and keeps their results. Results are
// seen by whoever sees the book imported into.
type ContactImportService interface {
	// StartImport records imp (its file name, book, department, group and
	// choice for duplicates) and reads rows into the book in the
	// background. It fills in imp's id, owner and counts.
	StartImport(ctx context.Context, p *Principal, imp *ContactImport, rows []ContactRow) error
	// ContactImport returns one result.
	ContactImport(ctx context.Context, p *Principal, id int64) (*ContactImport, error)
	// FindImports lists results, newest first.
	FindImports(ctx context.Context, p *Principal, f ImportFilter) ([]*ContactImport, string, error)
	// ImportFailures lists the rows an import refused, by line.
	ImportFailures(ctx context.Context, p *Principal, id int64) ([]ImportFailure, error)
}
