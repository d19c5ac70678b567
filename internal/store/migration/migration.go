// Package migration reads a store's numbered schema migrations
// (NNN_name.up.sql) and checks a database's version against them. Each
// store applies them in its own SQL dialect and transaction.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the *.up.sql files of dir in fsys, ordered by their number.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.up.sql"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", base)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		// Versions are what a store compares: two files with one number
		// would leave one of them never applied.
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same number", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Latest is the version the migrations lead to.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// CheckNotNewer refuses a database whose schema is newer than this build
// knows: using it would misread what a newer updraft wrote.
func CheckNotNewer(current int, ms []Migration) error {
	if latest := Latest(ms); current > latest {
		return fmt.Errorf("database schema version %d is newer than this updraft knows (%d): upgrade updraft", current, latest)
	}
	return nil
}
