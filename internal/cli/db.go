package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) dbCommand() *cobra.Command {
	db := &cobra.Command{Use: "db", Short: "Manage the metadata database"}
	db.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openDatabase(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			for _, m := range applied {
				fmt.Fprintln(a.out, "applied", m)
			}
			v, err := st.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "database %s is at schema version %d\n", a.databaseName(), v)
			return nil
		},
	})
	return db
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if a.output == "json" {
				return a.table(nil, nil, map[string]string{"version": Version})
			}
			fmt.Fprintln(a.out, Version)
			return nil
		},
	}
}
