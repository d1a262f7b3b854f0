package yookassatest

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"time"
)

type listItem struct {
	id      string
	created time.Time
	v       any
}

type list struct {
	Type       string `json:"type"`
	Items      []any  `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// newestFirst orders by creation time, then by id (the fake's ids grow), both descending.
func newestFirst(a, b listItem) int {
	if c := b.created.Compare(a.created); c != 0 {
		return c
	}
	return cmp.Compare(b.id, a.id)
}

// paginate applies the created_at.* filters, limit (1..100, default 10) and cursor (the id of
// the last item of the previous page) to items, newest first.
func paginate(items []listItem, q url.Values) (any, *apiError) {
	var bounds [4]time.Time
	names := [4]string{"created_at.gte", "created_at.gt", "created_at.lte", "created_at.lt"}
	for i, name := range names {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badRequest(name, "%s must be an ISO 8601 date-time", name)
			}
			bounds[i] = t
		}
	}
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return nil, badRequest("limit", "limit must be 1 to 100")
		}
		limit = n
	}
	kept := items[:0]
	for _, it := range items {
		c := it.created
		if !bounds[0].IsZero() && c.Before(bounds[0]) || !bounds[1].IsZero() && !c.After(bounds[1]) ||
			!bounds[2].IsZero() && c.After(bounds[2]) || !bounds[3].IsZero() && !c.Before(bounds[3]) {
			continue
		}
		kept = append(kept, it)
	}
	slices.SortFunc(kept, newestFirst)
	start := 0
	if cur := q.Get("cursor"); cur != "" {
		i := slices.IndexFunc(kept, func(it listItem) bool { return it.id == cur })
		if i < 0 {
			return nil, badRequest("cursor", "unknown cursor")
		}
		start = i + 1
	}
	end := min(start+limit, len(kept))
	out := list{Type: "list", Items: make([]any, 0, end-start)}
	for _, it := range kept[start:end] {
		out.Items = append(out.Items, it.v)
	}
	if end < len(kept) {
		out.NextCursor = kept[end-1].id
	}
	return out, nil
}

func sortedIDs[T any](m map[string]T, created func(T) time.Time) []string {
	items := make([]listItem, 0, len(m))
	for id, v := range m {
		items = append(items, listItem{id: id, created: created(v)})
	}
	slices.SortFunc(items, func(a, b listItem) int { return newestFirst(b, a) })
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	return ids
}
