package dag

import (
	"fmt"
	"strings"
	"time"
)

// ParseTime reads a logical date as users write it, in UTC: an RFC 3339
// time, the same with a space for the T or without a zone (UTC), or a
// date alone (midnight UTC), as Airflow's parser accepts them.
func ParseTime(s string) (time.Time, error) {
	s = strings.Replace(s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}
