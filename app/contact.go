package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Book is one of the three kinds of address book (通讯录).
type Book string

// The kinds of address book.
const (
	// BookOrg (单位机构通讯录): a department's contacts, seen by that
	// department and every department below it; its administrators (and
	// those above) edit them.
	BookOrg Book = "org"
	// BookPersonal (个人通讯录): one user's contacts, seen and edited by
	// that user only.
	BookPersonal Book = "personal"
	// BookCustomer (客户通讯录): a department's customers, seen and edited
	// by its members; administrators above reach them too.
	BookCustomer Book = "customer"
)

// Valid reports whether b is a known kind.
func (b Book) Valid() bool {
	switch b {
	case BookOrg, BookPersonal, BookCustomer:
		return true
	}
	return false
}

// Label is the kind's name in the console.
func (b Book) Label() string {
	switch b {
	case BookOrg:
		return "单位机构通讯录"
	case BookPersonal:
		return "个人通讯录"
	case BookCustomer:
		return "客户通讯录"
	}
	return string(b)
}

// ParseBook reads a book kind, naming field in the error.
func ParseBook(field, s string) (Book, error) {
	if b := Book(s); b.Valid() {
		return b, nil
	}
	return "", FieldError(field, "通讯录类型应为 org（单位机构）、personal（个人）或 customer（客户），而不是%q", s)
}

// A book is identified by its kind, its department and, for a personal
// book, its owner: a number appears once per book, a group belongs to one
// book, and a contact joins only groups of its own book.

// Contact is one entry of an address book.
type Contact struct {
	ID           int64
	Book         Book
	DepartmentID int64
	OwnerID      int64 // the user of a personal book; 0 otherwise
	Name         string
	Phone        string // normalised
	Company      string
	Title        string
	Tags         []string
	Note         string
	GroupIDs     []int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Blacklisted: a blacklist covering the caller's department holds the
	// number (set by listings, for the caller).
	Blacklisted bool
}

// Contact field limits, in characters.
const (
	maxContactName  = 50
	maxContactField = 100 // company, title
	maxContactNote  = 500
	maxContactTags  = 20
	maxContactTag   = 20
	// MaxContactGroups caps the groups one contact is in.
	MaxContactGroups = 50
	// MaxGroupsPerBook caps the groups of one book.
	MaxGroupsPerBook = 500
)

// Validate normalises the number, trims the text fields and checks their
// lengths; errors name the field.
func (c *Contact) Validate() error {
	if !c.Book.Valid() {
		return FieldError("book", "通讯录类型应为 org、personal 或 customer")
	}
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > maxContactName {
		return FieldError("name", "姓名不能为空且最长%d个字", maxContactName)
	}
	n, err := NormalizeNumber(c.Phone)
	if err != nil {
		return FieldError("phone", "%s", ErrorMessage(err))
	}
	c.Phone = n
	c.Company, c.Title, c.Note = strings.TrimSpace(c.Company), strings.TrimSpace(c.Title), strings.TrimSpace(c.Note)
	if utf8.RuneCountInString(c.Company) > maxContactField {
		return FieldError("company", "单位最长%d个字", maxContactField)
	}
	if utf8.RuneCountInString(c.Title) > maxContactField {
		return FieldError("title", "职务最长%d个字", maxContactField)
	}
	if utf8.RuneCountInString(c.Note) > maxContactNote {
		return FieldError("note", "备注最长%d个字", maxContactNote)
	}
	tags, err := cleanTags(c.Tags)
	if err != nil {
		return err
	}
	c.Tags = tags
	if len(c.GroupIDs) > MaxContactGroups {
		return FieldError("group_ids", "一个联系人最多属于%d个分组", MaxContactGroups)
	}
	note := strings.NewReplacer("\n", " ", "\t", " ").Replace(c.Note) // a note may have lines
	for _, f := range [][2]string{{"name", c.Name}, {"company", c.Company}, {"title", c.Title}, {"note", note}} {
		if err := validText(f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

// cleanTags trims the tags, drops empty and repeated ones and checks the
// limits.
func cleanTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		if utf8.RuneCountInString(t) > maxContactTag {
			return nil, FieldError("tags", "标签“%s”过长：每个标签最长%d个字", t, maxContactTag)
		}
		seen[t] = true
		out = append(out, t)
	}
	if len(out) > maxContactTags {
		return nil, FieldError("tags", "一个联系人最多%d个标签", maxContactTags)
	}
	for _, t := range out {
		if err := validText("tags", t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// validText refuses what a message may not carry (control and bidi
// characters, invalid UTF-8): contact fields fill messages' variables.
func validText(field, text string) error {
	for _, r := range text {
		if unsendable(r) {
			return FieldError(field, "不能有控制字符、双向文本控制符或无效的 UTF-8 字节")
		}
	}
	return nil
}

// ContactUpdate is a partial change of a contact; nil fields stay. The
// book and department do not change (delete and add instead).
type ContactUpdate struct {
	Name     *string
	Phone    *string
	Company  *string
	Title    *string
	Tags     *[]string
	Note     *string
	GroupIDs *[]int64
}

// Apply copies the set fields onto c.
func (u *ContactUpdate) Apply(c *Contact) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, u.Name)
	set(&c.Phone, u.Phone)
	set(&c.Company, u.Company)
	set(&c.Title, u.Title)
	set(&c.Note, u.Note)
	if u.Tags != nil {
		c.Tags = *u.Tags
	}
	if u.GroupIDs != nil {
		c.GroupIDs = *u.GroupIDs
	}
}

// ContactFilter selects contacts.
type ContactFilter struct {
	Book         Book  // "": every book the caller sees
	DepartmentID int64 // 0: any
	GroupID      int64 // 0: any
	Q            string
	Cursor       string
	Limit        int
}

// ContactGroup is a group (分组) of one book.
type ContactGroup struct {
	ID           int64
	Book         Book
	DepartmentID int64
	OwnerID      int64
	Name         string
	Count        int // its contacts
	CreatedAt    time.Time
}

// Validate trims and checks the name.
func (g *ContactGroup) Validate() error {
	if !g.Book.Valid() {
		return FieldError("book", "通讯录类型应为 org、personal 或 customer")
	}
	g.Name = strings.TrimSpace(g.Name)
	if g.Name == "" || utf8.RuneCountInString(g.Name) > 30 {
		return FieldError("name", "分组名称不能为空且最长30个字")
	}
	return validText("name", g.Name)
}

// GroupFilter selects groups.
type GroupFilter struct {
	Book         Book
	DepartmentID int64
}

// ContactService keeps the address books. Every method checks the caller:
// what it may not see answers ENOTFOUND, what it sees but may not change
// EFORBIDDEN. API apps need scope contacts.
type ContactService interface {
	// CreateContact adds c to its book: for a personal book the caller's
	// own, for the others DepartmentID's (0: the caller's department).
	// Errors: ECONFLICT when the book has the number.
	CreateContact(ctx context.Context, p *Principal, c *Contact) error
	// Contact returns one contact.
	Contact(ctx context.Context, p *Principal, id int64) (*Contact, error)
	// UpdateContact changes a contact.
	UpdateContact(ctx context.Context, p *Principal, id int64, u *ContactUpdate) (*Contact, error)
	// DeleteContact removes a contact from its book and its groups.
	DeleteContact(ctx context.Context, p *Principal, id int64) error
	// FindContacts lists the contacts p sees, newest first.
	FindContacts(ctx context.Context, p *Principal, f ContactFilter) ([]*Contact, string, error)

	// CreateGroup adds a group to a book. Errors: ECONFLICT on a repeated name.
	CreateGroup(ctx context.Context, p *Principal, g *ContactGroup) error
	// RenameGroup renames a group.
	RenameGroup(ctx context.Context, p *Principal, id int64, name string) (*ContactGroup, error)
	// DeleteGroup removes a group; its contacts stay in the book.
	DeleteGroup(ctx context.Context, p *Principal, id int64) error
	// FindGroups lists the groups p sees, by name.
	FindGroups(ctx context.Context, p *Principal, f GroupFilter) ([]*ContactGroup, error)
	// TallyRecipients counts what sending req's numbers, groups and
	// contacts would send to, by the send policy's rules.
	TallyRecipients(ctx context.Context, p *Principal, req *SendRequest) (*RecipientTally, error)
	// Recipients returns the contacts of the groups, then the contacts,
	// that p sees, each once (the send policy's lookup).
	Recipients(ctx context.Context, p *Principal, groupIDs, contactIDs []int64) ([]*Contact, error)
}
