package edgeops

import (
	"strconv"
	"time"
)

// httpTimeFormat is RFC 7231's IMF-fixdate, as net/http.TimeFormat.
const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// timestampArgs is the envelope of timestamp: {"format":"unix"|"ms"|"ns"|
// "rfc3339"|"http"|"iso8601"} (C, Zig and AssemblyScript agree).
type timestampArgs struct {
	Format string `json:"format"`
}

// Timestamp implements timestamp: the current UTC time in the requested
// format; numeric formats are decimal strings. An unknown format, or empty
// arguments, fall back to RFC 3339 (as the Zig SDK documents); arguments
// that are not a JSON object give no result.
func Timestamp(in []byte) ([]byte, bool) {
	var a timestampArgs
	if len(in) > 0 && !decodeArgs(in, &a) {
		return nil, false
	}
	return formatTime(time.Now().UTC(), a.Format), true
}

func formatTime(t time.Time, format string) []byte {
	switch format {
	case "unix":
		return strconv.AppendInt(nil, t.Unix(), 10)
	case "ms":
		return strconv.AppendInt(nil, t.UnixMilli(), 10)
	case "ns":
		return strconv.AppendInt(nil, t.UnixNano(), 10)
	case "http":
		return t.AppendFormat(nil, httpTimeFormat)
	case "iso8601":
		return t.AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
	default:
		return t.AppendFormat(nil, time.RFC3339)
	}
}
