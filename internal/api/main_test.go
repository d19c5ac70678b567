package api

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/updraft-dev/updraft/internal/store/postgres/pgserver"
)

// TestMain checks, after a full run of the suite, that every operation
// updraft shares with Airflow had at least one successful response
// validated against Airflow's document: a shared operation the scenarios
// never reach would otherwise go unchecked.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgserver.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	if f := flag.Lookup("test.run"); code != 0 || (f != nil && f.Value.String() != "") || testing.Short() {
		os.Exit(code)
	}
	if missing := uncheckedAirflowOperations(); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: operations shared with Airflow never validated against its document: %v\n", missing)
		os.Exit(1)
	}
	os.Exit(code)
}

func uncheckedAirflowOperations() []string {
	sp, err := loadSpec()
	if err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for _, op := range sp.Operations {
		if _, shared := airflowOps[op.ID]; !shared {
			continue
		}
		if _, ok := airflowChecked.Load(op.ID); !ok {
			missing = append(missing, op.ID)
		}
	}
	slices.Sort(missing)
	return missing
}
