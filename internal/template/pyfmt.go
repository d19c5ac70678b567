package template

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// pyStr formats v as Python's str() does, which is what Jinja prints for
// {{ v }} in Airflow: None, True/False, 10, 0.1, 10.0, ['a', None], {'k': 1}.
// Commands built from templates are compared with Airflow's, so the output
// must match it and not Go's fmt.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writePy(&b, v, false)
	return b.String()
}

func writePy(b *strings.Builder, v any, repr bool) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
		return
	case *exec.Value:
		if x == nil || x.IsNil() {
			b.WriteString("None")
			return
		}
		writePy(b, x.Interface(), repr)
		return
	case string:
		if repr {
			writePyQuoted(b, x)
		} else {
			b.WriteString(x)
		}
		return
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
		return
	case float64:
		b.WriteString(pyFloat(x))
		return
	case float32:
		b.WriteString(pyFloat(float64(x)))
		return
	case exec.ValuesList:
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, item, true)
		}
		b.WriteByte(']')
		return
	case *exec.Dict:
		writePyDict(b, x)
		return
	case exec.Dict:
		writePyDict(b, &x)
		return
	case fmt.Stringer:
		// The context's objects (dates, dag_run, ti...) print as Airflow's.
		b.WriteString(x.String())
		return
	case error:
		b.WriteString(x.Error())
		return
	}

	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.String:
		writePy(b, rv.String(), repr)
	case reflect.Bool:
		writePy(b, rv.Bool(), repr)
	case reflect.Float32, reflect.Float64:
		b.WriteString(pyFloat(rv.Float()))
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := range rv.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, rv.Index(i).Interface(), true)
		}
		b.WriteByte(']')
	case reflect.Map:
		// Go maps have no order; sorting keeps the output stable, which
		// matters more in a command line than Python's insertion order.
		type pair struct{ k, v string }
		pairs := make([]pair, 0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			var kb, vb strings.Builder
			writePy(&kb, it.Key().Interface(), true)
			writePy(&vb, it.Value().Interface(), true)
			pairs = append(pairs, pair{kb.String(), vb.String()})
		}
		slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		b.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.k)
			b.WriteString(": ")
			b.WriteString(p.v)
		}
		b.WriteByte('}')
	case reflect.Func:
		b.WriteString("<function>")
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("None")
			return
		}
		writePy(b, rv.Elem().Interface(), repr)
	default:
		fmt.Fprint(b, v)
	}
}

func writePyDict(b *strings.Builder, d *exec.Dict) {
	b.WriteByte('{')
	for i, p := range d.Pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		writePy(b, p.Key, true)
		b.WriteString(": ")
		writePy(b, p.Value, true)
	}
	b.WriteByte('}')
}

// pyFloat is Python's repr of a float: shortest round-trip digits, always a
// decimal point or an exponent, exponent form below 1e-4 and from 1e16.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes 1e+16 and 1e-05 as Python does, but keeps a mantissa
		// of "1" where Python also writes "1": nothing to adjust.
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// writePyQuoted is Python's repr of a str: single quotes unless the string
// holds a single quote and no double quote.
func writePyQuoted(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case !unicode.IsPrint(r):
			switch {
			case r <= 0xff:
				fmt.Fprintf(b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				fmt.Fprintf(b, `\U%08x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte(q)
}
