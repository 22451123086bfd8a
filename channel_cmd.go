package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"smsgw/app"
	"smsgw/store"
)

// newChannelCmd manages channel records in the database. A running server
// picks every change up within about a second: it need not be restarted.
func newChannelCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{Use: "channel", Short: "Manage SMPP channels (add, list, edit, enable, disable, remove)"}
	cmd.PersistentFlags().StringVar(&data, "data", "./data", "data folder")
	open := func(cmd *cobra.Command) (*store.DB, error) {
		return store.Open(cmd.Context(), store.Options{Path: dbPath(data)})
	}

	var u channelFlags
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add a channel",
		Example: "  smsgw channel add --name 移动主通道 --host 10.0.0.5 --port 2775 --system-id sms01 --password secret --source 1069000 --tps 1000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			ch := &app.Channel{Window: 64, Weight: 1, Enabled: true, DestNPI: app.DefaultDestNPI, OnCrash: app.OnCrashResend}
			upd, err := u.update(cmd.Flags(), true)
			if err != nil {
				return err
			}
			upd.Apply(ch)
			if err := db.CreateChannel(cmd.Context(), ch); err != nil {
				return cliError(err)
			}
			if err := auditCLI(cmd.Context(), db, "channel.add", fmt.Sprintf("channel:%d", ch.ID), describeChannel(ch)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "channel %d added\n", ch.ID)
			return nil
		},
	}
	u.register(add.Flags())

	var e channelFlags
	edit := &cobra.Command{
		Use:   "edit ID",
		Short: "Change the given fields of a channel",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			upd, err := e.update(cmd.Flags(), false)
			if err != nil {
				return err
			}
			return changeChannel(cmd, open, args[0], upd, "updated")
		},
	}
	e.register(edit.Flags())

	toggle := func(use, short string, enabled bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " ID", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return changeChannel(cmd, open, args[0], &app.ChannelUpdate{Enabled: &enabled}, use+"d")
			},
		}
	}

	list := &cobra.Command{
		Use: "list", Short: "List channels", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			chans, err := db.FindChannels(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSMSC\tSYSTEM_ID\tSOURCE\tTPS\tWINDOW\tWEIGHT\tCARRIERS\tSTANDBY\tENABLED")
			for _, c := range chans {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%v\t%v\n", c.ID, c.Name, c.Addr(), c.SystemID, c.SourceAddr,
					c.TPS, c.Window, c.Weight, carrierList(c.Carriers), c.Standby, c.Enabled)
			}
			return w.Flush()
		},
	}

	remove := &cobra.Command{
		Use: "remove ID", Short: "Remove a channel; its unfinished messages go through the others", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("channel id %q is not a number", args[0])
			}
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.DeleteChannel(cmd.Context(), id); err != nil {
				return cliError(err)
			}
			if err := auditCLI(cmd.Context(), db, "channel.remove", fmt.Sprintf("channel:%d", id), ""); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "channel %d removed\n", id)
			return nil
		},
	}
	cmd.AddCommand(add, list, edit, toggle("enable", "Enable a channel", true), toggle("disable", "Disable a channel: it drains and stops", false), remove)
	return cmd
}

// changeChannel applies upd to channel idArg.
func changeChannel(cmd *cobra.Command, open func(*cobra.Command) (*store.DB, error), idArg string, upd *app.ChannelUpdate, done string) error {
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil {
		return fmt.Errorf("channel id %q is not a number", idArg)
	}
	db, err := open(cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := db.FindChannelByID(cmd.Context(), id)
	if err != nil {
		return cliError(err)
	}
	before := describeChannel(ch)
	ch.Password = ""
	upd.Apply(ch)
	if err := db.UpdateChannel(cmd.Context(), ch); err != nil {
		return cliError(err)
	}
	if err := auditCLI(cmd.Context(), db, "channel."+strings.TrimSuffix(done, "d"), fmt.Sprintf("channel:%d", id),
		"before: "+before+"; after: "+describeChannel(ch)); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "channel %d %s\n", id, done)
	return nil
}

// channelFlags are the flags of channel add and edit; edit applies only the
// flags given.
type channelFlags struct {
	name, host, systemID, password, source, carriers string
	onCrash                                          string
	port, tps, window, weight                        int
	sourceTON, sourceNPI, destTON, destNPI           int
	standby, enabled, resend                         bool
}

func (f *channelFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "channel name")
	fs.StringVar(&f.host, "host", "", "SMSC host")
	fs.IntVar(&f.port, "port", 2775, "SMSC port")
	fs.StringVar(&f.systemID, "system-id", "", "SMPP system_id")
	fs.StringVar(&f.password, "password", "", "SMPP password (stored encrypted)")
	fs.StringVar(&f.source, "source", "", "sender number (码号)")
	fs.IntVar(&f.tps, "tps", 100, "submits per second the carrier allows")
	fs.IntVar(&f.window, "window", 64, "SMPP requests in flight at once")
	fs.IntVar(&f.weight, "weight", 1, "share of traffic relative to other channels")
	fs.StringVar(&f.carriers, "carriers", "", "carriers served, comma-separated: cmcc,cucc,ctcc,cbn (empty: all)")
	fs.BoolVar(&f.standby, "standby", false, "take traffic only when the primaries are down or saturated")
	fs.BoolVar(&f.enabled, "enabled", true, "send through this channel")
	fs.IntVar(&f.sourceTON, "source-ton", 0, "source address TON, 0-6 (SMPP 3.4)")
	fs.IntVar(&f.sourceNPI, "source-npi", 0, "source address NPI, 0-18")
	fs.IntVar(&f.destTON, "dest-ton", 0, "destination address TON, 0-6")
	fs.IntVar(&f.destNPI, "dest-npi", app.DefaultDestNPI, "destination address NPI, 0-18")
	fs.StringVar(&f.onCrash, "on-crash", string(app.OnCrashResend), "after a crash, a message the SMSC may have: resend (at least once) or hold (at most once, an operator decides)")
	fs.BoolVar(&f.resend, "resend-undelivered", false, "resend an undelivered message once through another channel (失败补发)")
}

// update turns flags into an update: for add every flag (so defaults
// apply), for edit only the flags the user gave.
func (f *channelFlags) update(fs *pflag.FlagSet, all bool) (*app.ChannelUpdate, error) {
	u := &app.ChannelUpdate{}
	given := func(name string) bool { return all || fs.Changed(name) }
	str := func(name, v string, dst **string) {
		if given(name) {
			*dst = &v
		}
	}
	num := func(name string, v int, dst **int) {
		if given(name) {
			*dst = &v
		}
	}
	flag := func(name string, v bool, dst **bool) {
		if given(name) {
			*dst = &v
		}
	}
	str("name", f.name, &u.Name)
	str("host", f.host, &u.Host)
	str("system-id", f.systemID, &u.SystemID)
	str("password", f.password, &u.Password)
	str("source", f.source, &u.SourceAddr)
	num("port", f.port, &u.Port)
	num("tps", f.tps, &u.TPS)
	num("window", f.window, &u.Window)
	num("weight", f.weight, &u.Weight)
	num("source-ton", f.sourceTON, &u.SourceTON)
	num("source-npi", f.sourceNPI, &u.SourceNPI)
	num("dest-ton", f.destTON, &u.DestTON)
	num("dest-npi", f.destNPI, &u.DestNPI)
	if given("on-crash") {
		oc := app.OnCrash(f.onCrash)
		u.OnCrash = &oc
	}
	flag("standby", f.standby, &u.Standby)
	flag("enabled", f.enabled, &u.Enabled)
	flag("resend-undelivered", f.resend, &u.ResendUndelivered)
	if given("carriers") {
		cs := []app.Carrier{}
		for _, s := range strings.Split(f.carriers, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			c, err := app.ParseCarrier(s)
			if err != nil {
				return nil, cliError(err)
			}
			cs = append(cs, c)
		}
		u.Carriers = &cs
	}
	return u, nil
}

func carrierList(cs []app.Carrier) string {
	if len(cs) == 0 {
		return "all"
	}
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}

// describeChannel summarises a channel for the audit log, without its password.
func describeChannel(c *app.Channel) string {
	return fmt.Sprintf("name=%s smsc=%s system_id=%s source=%s tps=%d window=%d weight=%d carriers=%s standby=%v enabled=%v ton_npi=%d/%d,%d/%d on_crash=%s",
		c.Name, c.Addr(), c.SystemID, c.SourceAddr, c.TPS, c.Window, c.Weight, carrierList(c.Carriers), c.Standby, c.Enabled,
		c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI, c.OnCrash)
}
