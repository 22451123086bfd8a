package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// demoInfo is DIR/demo-credentials.json: what a new user needs to log in,
// call the API and play the carrier.
type demoInfo struct {
	AdminUser     string    `json:"admin_user"`
	AdminPassword string    `json:"admin_password"`
	APIKey        string    `json:"api_key"`
	BaseURL       string    `json:"base_url"`
	Simulators    []demoSim `json:"simulators"`
}

type demoSim struct {
	ChannelID  string `json:"channel_id"`
	SMPP       string `json:"smpp"`
	Control    string `json:"control"`
	SourceAddr string `json:"source_addr"`
}

const demoFile = "demo-credentials.json"

// demoSources are the demo channels' fixed sender numbers (码号).
var demoSources = []string{"10690001", "10690002"}

// setupDemo creates, on an empty data folder, an admin, an API key, the
// approved signature 示例单位 and two channels; on every start it runs the two
// simulators those channels bind to. A second start reuses everything.
func setupDemo(ctx context.Context, db *store.DB, cfg config) (*demoInfo, []*smscsim.Server, error) {
	info, err := loadDemo(cfg.Data)
	if errors.Is(err, os.ErrNotExist) {
		info, err = createDemo(ctx, db)
	}
	if err != nil {
		return nil, nil, err
	}
	channels, err := db.FindChannels(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*app.Channel{}
	for _, c := range channels {
		byID[strconv.FormatInt(c.ID, 10)] = c
	}
	var sims []*smscsim.Server
	fail := func(err error) (*demoInfo, []*smscsim.Server, error) {
		for _, s := range sims {
			s.Close()
		}
		return nil, nil, err
	}
	for i := range info.Simulators {
		ds := &info.Simulators[i]
		ch := byID[ds.ChannelID]
		if ch == nil {
			return fail(fmt.Errorf("demo channel %s is gone; start the demo on a new data folder", ds.ChannelID))
		}
		sim := smscsim.New(smscsim.Options{SystemID: ch.SystemID, Password: ch.Password, Logger: cfg.Logger.With("sim", ds.SourceAddr)})
		// Reuse last run's ports when free, so the credentials stay valid.
		if err := sim.Start(ds.SMPP); err != nil {
			if err := sim.Start("127.0.0.1:0"); err != nil {
				return fail(err)
			}
		}
		sims = append(sims, sim)
		if ds.Control, err = startControl(sim, ds.Control); err != nil {
			return fail(err)
		}
		ds.SMPP = sim.Addr()
		host, port, _ := net.SplitHostPort(ds.SMPP)
		if p, _ := strconv.Atoi(port); p != ch.Port || host != ch.Host {
			ch.Host, ch.Port, ch.Password = host, p, ""
			if err := db.UpdateChannel(ctx, ch); err != nil {
				return fail(err)
			}
		}
	}
	return info, sims, nil
}

func startControl(sim *smscsim.Server, last string) (string, error) {
	if u, err := sim.StartControl(hostPort(last)); err == nil {
		return u, nil
	}
	return sim.StartControl("127.0.0.1:0")
}

// hostPort turns "http://127.0.0.1:1234" into "127.0.0.1:1234".
func hostPort(url string) string {
	if url == "" {
		return "127.0.0.1:0"
	}
	return strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
}

// demoQuota is the demo's top-up, in segments (条).
const demoQuota = 100_000

func createDemo(ctx context.Context, db *store.DB) (*demoInfo, error) {
	if _, err := db.FindUserByUsername(ctx, "admin"); err == nil {
		return nil, fmt.Errorf("%s is missing but the database already has an admin: start the demo on a new data folder", demoFile)
	}
	info := &demoInfo{AdminUser: "admin", AdminPassword: randomPassword(14)}
	admin := &app.User{Username: info.AdminUser, DisplayName: "系统管理员", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	if err := db.CreateUser(ctx, nil, admin, info.AdminPassword); err != nil {
		return nil, err
	}
	secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "演示应用", DepartmentID: app.RootDepartmentID, UserID: admin.ID,
		Role: app.RoleSysadmin, AllowFreeText: true, RateLimit: 10000, // room for benchmarks
		Scopes: []string{app.ScopeSend, app.ScopeQuery, app.ScopeTemplates, app.ScopeContacts, app.ScopeAccount, app.ScopeAdmin}})
	if err != nil {
		return nil, err
	}
	info.APIKey = secret
	// A balance to show: the root's account pays for every department.
	if _, err := db.TopUp(ctx, &app.Principal{UserID: admin.ID, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin},
		app.RootDepartmentID, demoQuota, "演示额度"); err != nil {
		return nil, err
	}
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "示例单位", Approved: true, Default: true}); err != nil && app.ErrorCode(err) != app.ECONFLICT {
		return nil, err
	}
	if err := demoCompliance(ctx, db, admin); err != nil {
		return nil, err
	}
	for i, src := range demoSources {
		ch := &app.Channel{Name: fmt.Sprintf("演示通道%d", i+1), Host: "127.0.0.1", Port: 2775, SystemID: "smsgw",
			Password: randomPassword(8), SourceAddr: src, TPS: 3000, Window: 128, Weight: 1, Enabled: true, DestNPI: app.DefaultDestNPI}
		if err := db.CreateChannel(ctx, ch); err != nil {
			return nil, err
		}
		info.Simulators = append(info.Simulators, demoSim{ChannelID: strconv.FormatInt(ch.ID, 10), SMPP: "127.0.0.1:0", SourceAddr: src})
	}
	return info, nil
}

// demoCompliance gives the demo an approved template to send with and a
// small sensitive-word list, so the console's pages have something to show.
func demoCompliance(ctx context.Context, db *store.DB, admin *app.User) error {
	p := &app.Principal{UserID: admin.ID, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	t := &app.Template{Name: "会议通知（示例）", Kind: app.KindNotice, Content: "您好，${name}会议定于${time}在${room}召开，请准时参加。",
		Vars: map[string]app.VarRule{"room": {Type: app.VarText, MaxLen: 10}}}
	if err := db.CreateTemplate(ctx, p, t); err != nil {
		return err
	}
	if _, err := db.ReviewTemplate(ctx, p, t.ID, &app.Review{Decision: "approve"}); err != nil {
		return err
	}
	return db.SaveWordList(ctx, p, app.WordList{Name: "示例违禁词", Action: app.WordBlock, Words: []string{"代开发票", "私人贷款", "赌博"}})
}

func loadDemo(dir string) (*demoInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, demoFile))
	if err != nil {
		return nil, err
	}
	var info demoInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", demoFile, err)
	}
	return &info, nil
}

// write saves the credentials readable by the owner only: they hold secrets.
func (d *demoInfo) write(dir string) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	// Written aside and renamed, so a reader never sees half a file.
	tmp := filepath.Join(dir, demoFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, demoFile))
}

func (d *demoInfo) print(w io.Writer) {
	fmt.Fprintf(w, "\nsmsgw demo is running (演示模式)\n  console/API: %s\n  admin login: %s / %s\n  API key:     %s\n",
		d.BaseURL, d.AdminUser, d.AdminPassword, d.APIKey)
	for _, s := range d.Simulators {
		fmt.Fprintf(w, "  simulator:   channel %s, SMPP %s, source %s, control %s\n", s.ChannelID, s.SMPP, s.SourceAddr, s.Control)
	}
	fmt.Fprintf(w, "Try:\n  curl -H 'Authorization: Bearer %s' -d '{\"to\":[\"13800138000\"],\"content\":\"【示例单位】您好\"}' %s/api/v1/messages\n\n", d.APIKey, d.BaseURL)
}

// randomPassword returns n characters from an alphabet without look-alikes,
// drawn again until it meets the password policy (letters and digits).
func randomPassword(n int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		b := make([]byte, n)
		for i := range b {
			v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				panic(err)
			}
			b[i] = alphabet[v.Int64()]
		}
		if app.ValidatePassword("", string(b)) == nil {
			return string(b)
		}
	}
}
