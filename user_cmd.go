package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"smsgw/app"
	"smsgw/store"
)

// newUserCmd manages console users from the command line, for the first
// administrator and for recovery. Every change is audited.
func newUserCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{Use: "user", Short: "Manage console users (add, passwd, disable, enable)"}
	cmd.PersistentFlags().StringVar(&data, "data", "./data", "data folder")
	open := func(cmd *cobra.Command) (*store.DB, error) {
		return store.Open(cmd.Context(), store.Options{Path: dbPath(data)})
	}

	var name, password, display, role string
	var dept int64
	add := &cobra.Command{
		Use: "add", Short: "Add a user", Args: cobra.NoArgs,
		Example: "  smsgw user add --username zhangsan --password 'Initial2026' --role operator --department 3",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			u := &app.User{Username: name, DisplayName: display, DepartmentID: dept, Role: app.Role(role), MustChangePassword: true}
			if err := db.CreateUser(cmd.Context(), nil, u, password); err != nil {
				return cliError(err)
			}
			if err := auditCLI(cmd.Context(), db, "user.add", fmt.Sprintf("user:%d", u.ID),
				fmt.Sprintf("username=%s department=%d role=%s", u.Username, u.DepartmentID, u.Role)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s added (id %d); the password must be changed at the first login\n", u.Username, u.ID)
			return nil
		},
	}
	add.Flags().StringVar(&name, "username", "", "login name")
	add.Flags().StringVar(&password, "password", "", "initial password (8+ characters, letters and digits)")
	add.Flags().StringVar(&display, "name", "", "display name")
	add.Flags().StringVar(&role, "role", string(app.RoleOperator), "sysadmin, dept_admin, operator or auditor")
	add.Flags().Int64Var(&dept, "department", app.RootDepartmentID, "department id")
	add.MarkFlagRequired("username")
	add.MarkFlagRequired("password")

	change := func(use, short, action string, upd func(cmd *cobra.Command) (*app.UserUpdate, error)) *cobra.Command {
		return &cobra.Command{
			Use: use + " USERNAME", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				u, err := upd(cmd)
				if err != nil {
					return err
				}
				db, err := open(cmd)
				if err != nil {
					return err
				}
				defer db.Close()
				user, err := db.FindUserByUsername(cmd.Context(), args[0])
				if err != nil {
					return cliError(err)
				}
				if _, err := db.UpdateUser(cmd.Context(), nil, user.ID, u); err != nil {
					return cliError(err)
				}
				if err := auditCLI(cmd.Context(), db, action, fmt.Sprintf("user:%d", user.ID), "username="+user.Username); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %s: %s\n", user.Username, short)
				return nil
			},
		}
	}
	var newPassword string
	passwd := change("passwd", "password set", "user.passwd", func(*cobra.Command) (*app.UserUpdate, error) {
		return &app.UserUpdate{Password: &newPassword}, nil
	})
	passwd.Flags().StringVar(&newPassword, "password", "", "the new password")
	passwd.MarkFlagRequired("password")
	off, on := false, true
	disable := change("disable", "disabled", "user.disable", func(*cobra.Command) (*app.UserUpdate, error) {
		return &app.UserUpdate{Enabled: &off}, nil
	})
	enable := change("enable", "enabled", "user.enable", func(*cobra.Command) (*app.UserUpdate, error) {
		return &app.UserUpdate{Enabled: &on}, nil
	})
	cmd.AddCommand(add, passwd, disable, enable)
	return cmd
}
