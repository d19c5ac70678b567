package sqlite

import (
	"database/sql"
	"fmt"
	"time"
)

// timeLayout is fixed-width UTC, so TEXT comparison orders times correctly.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func nowUTC() time.Time { return time.Now().UTC() }

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime formats an optional time for a query argument.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// timeCol scans a TEXT time column, NULL allowed.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	if !ns.Valid {
		*c.t = time.Time{}
		return nil
	}
	t, err := parseTime(ns.String)
	*c.t = t
	return err
}

// optTimeCol scans a nullable TEXT time column into a *time.Time.
type optTimeCol struct{ t **time.Time }

func (c optTimeCol) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	if !ns.Valid {
		*c.t = nil
		return nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return err
	}
	*c.t = &t
	return nil
}
