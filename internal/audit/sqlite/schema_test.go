package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pdp-project/pdp/internal/audit/audittest"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/pdp"
)

func TestSchemaForAuditors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	openStore(t, sqlite.Options{Path: path, Sync: "full"})
	raw := rawDB(t, path)
	tests := []struct{ query, want string }{
		{"PRAGMA user_version", "6"},
		{"PRAGMA journal_mode", "wal"},
		{"SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('decisions') ORDER BY cid)",
			"seq,decision_id,time,caller,subject_type,subject_id,resource_type,resource_id,action,allow," +
				"reasons,obligations,input,bundle_revision,entrypoint,cache_hit,latency_us,error,trace_id,masked,mask_error,prev_hash,hash,bundle_digest,kind,plan"},
		{"SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_list('decisions') WHERE origin = 'c' ORDER BY name)",
			"decisions_action,decisions_caller,decisions_deny,decisions_resource,decisions_revision," +
				"decisions_subject,decisions_time,decisions_trace"},
		{"SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('checkpoints') ORDER BY cid)",
			"id,seq,hash,time,kind,public_key,signature"},
		{"SELECT count(*) FROM pragma_index_list('decisions') WHERE origin = 'u'", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var got string
			if err := raw.QueryRowContext(context.Background(), tc.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRowsReadableWithSQL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	r := audittest.NewRecord(0)
	r.Time = time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", -7200))
	r.Reasons, r.Input = []string{"a<b"}, map[string]any{"subject": map[string]any{"id": "u&1"}}
	if err := s.Append(context.Background(), []pdp.Record{r}); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	var at, reasons, subject string
	var allow, latency int
	err := rawDB(t, path).QueryRowContext(context.Background(),
		`SELECT time, reasons, input ->> '$.subject.id', allow, latency_us FROM decisions`).
		Scan(&at, &reasons, &subject, &allow, &latency)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{at, reasons, subject, allow, latency}
	want := []any{"2026-03-04T07:06:07.000000000Z", `["a<b"]`, "u&1", 1, 1234}
	if !slices.Equal(got, want) {
		t.Errorf("row = %v, want %v", got, want)
	}
}

func TestTimeTextSortsInTimeOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := openStore(t, sqlite.Options{Path: path})
	base := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	offsets := []time.Duration{100 * time.Millisecond, 0, 120 * time.Millisecond, time.Nanosecond, time.Second}
	var recs []pdp.Record
	for i, d := range offsets {
		r := audittest.NewRecord(i)
		r.Time = base.Add(d)
		recs = append(recs, r)
	}
	if err := s.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	rows, err := rawDB(t, path).QueryContext(context.Background(), `SELECT time FROM decisions ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []time.Time
	for rows.Next() {
		var at string
		if err := rows.Scan(&at); err != nil {
			t.Fatal(err)
		}
		tm, _ := time.Parse(time.RFC3339Nano, at)
		got = append(got, tm)
	}
	if len(got) != len(offsets) || !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Before(got[j]) }) {
		t.Errorf("ORDER BY time gave %v", got)
	}
}

func TestReopenKeepsRecordsAndSequence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	first := audittest.NewRecords(3)
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, sqlite.Options{Path: path})
	second := audittest.NewRecords(2)
	if err := s.Append(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	var ids []string
	rows, err := rawDB(t, path).QueryContext(context.Background(), `SELECT decision_id FROM decisions ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	var want []string
	for _, r := range append(first, second...) {
		want = append(want, r.DecisionID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("ids by seq = %v, want %v", ids, want)
	}
}
