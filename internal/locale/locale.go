// Package locale holds what Signflow says to signers, in every language it
// speaks: one JSON file per language in messages/, read by the emails here
// and served as it is to the signing page. Adding a language is adding a
// file; a key it lacks falls back to English.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Default is the language of a recipient who names none, and the source
// of any message a language lacks.
const Default = "en"

//go:embed messages/*.json
var files embed.FS

// Catalog is one language's messages.
type Catalog struct {
	Tag      string
	messages map[string]string
	months   []string
}

var catalogs = load()

func load() map[string]*Catalog {
	entries, err := files.ReadDir("messages")
	if err != nil {
		panic(err)
	}
	out := map[string]*Catalog{}
	for _, e := range entries {
		tag := strings.TrimSuffix(e.Name(), ".json")
		c, err := parse(tag)
		if err != nil {
			panic(err) // the files are part of the build; TestEveryLanguageIsComplete reads them too
		}
		out[tag] = c
	}
	return out
}

func parse(tag string) (*Catalog, error) {
	data, err := files.ReadFile(path.Join("messages", tag+".json"))
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("messages/%s.json: %w", tag, err)
	}
	c := &Catalog{Tag: tag, messages: map[string]string{}}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			c.messages[k] = v
		case []any:
			for _, m := range v {
				s, _ := m.(string)
				c.months = append(c.months, s)
			}
		}
	}
	return c, nil
}

// Supported is every language there is a file for, sorted.
func Supported() []string {
	tags := make([]string, 0, len(catalogs))
	for t := range catalogs {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

// Known says whether tag names a language there is a file for.
func Known(tag string) bool {
	_, ok := catalogs[tag]
	return ok
}

// Messages is a language's file as it is, for the signing page.
func Messages(tag string) ([]byte, bool) {
	if !Known(tag) {
		return nil, false
	}
	data, err := files.ReadFile(path.Join("messages", tag+".json"))
	return data, err == nil
}

// For is the catalog of the first of tags there is a file for (a
// recipient's language, then the envelope's), else English.
func For(tags ...string) *Catalog {
	for _, t := range tags {
		if c, ok := catalogs[t]; ok {
			return c
		}
	}
	return catalogs[Default]
}

// T is the message under key with each {name} replaced by args[name]; a
// key the language lacks is taken from English.
func (c *Catalog) T(key string, args map[string]string) string {
	msg, ok := c.messages[key]
	if !ok {
		msg = catalogs[Default].messages[key]
	}
	for k, v := range args {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	return msg
}

// DefaultMeaning is what a signature of role means in this language when
// the sender does not say (21 CFR 11.50: each signature shows its meaning).
func (c *Catalog) DefaultMeaning(role string) string {
	return c.T("meaning."+role, nil)
}

// IsDefaultMeaning says whether meaning is the default meaning of role in
// some language, rather than the sender's own words.
func IsDefaultMeaning(meaning, role string) bool {
	for _, c := range catalogs {
		if meaning != "" && meaning == c.DefaultMeaning(role) {
			return true
		}
	}
	return false
}

// Meaning is a recipient's meaning of signature in this language: the
// sender's own words as they are, a default meaning (in whichever language
// it was recorded) in this one.
func (c *Catalog) Meaning(meaning, role string) string {
	if IsDefaultMeaning(meaning, role) {
		return c.DefaultMeaning(role)
	}
	return meaning
}

// LongDate is a day as the language writes it in full, in UTC: what the
// signing page shows in a date field, and what the final document stamps.
func (c *Catalog) LongDate(t time.Time) string {
	t = t.UTC()
	return c.T("date_long", map[string]string{"day": fmt.Sprint(t.Day()), "month": c.month(t.Month()), "year": fmt.Sprint(t.Year())})
}

func (c *Catalog) month(m time.Month) string {
	if len(c.months) != 12 {
		return catalogs[Default].months[m-1]
	}
	return c.months[m-1]
}

// Date is a moment as the language writes a date and time, in UTC.
func (c *Catalog) Date(t time.Time) string {
	t = t.UTC()
	return c.T("date", map[string]string{"day": fmt.Sprint(t.Day()), "month": c.month(t.Month()),
		"year": fmt.Sprint(t.Year()), "time": t.Format("15:04")})
}
