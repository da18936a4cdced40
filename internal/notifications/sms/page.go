package sms

import "html/template"

// catcherPage lists the texts `signflow dev` caught, as Mailpit lists mail.
var catcherPage = template.Must(template.New("texts").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signflow: texts sent</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 1rem auto; padding: 0 1rem">
<h1>Texts sent</h1>
<p>Every text message Signflow sent while running with <code>signflow dev</code>, newest first. Reload to see new ones.</p>
{{range .}}<section style="border: 1px solid #cfd4dc; border-radius: 8px; padding: .5rem 1rem; margin: .75rem 0">
<p><strong>{{.To}}</strong> <span style="color: #4b5563">{{.At.Format "2006-01-02 15:04:05 UTC"}}</span></p>
<p dir="auto">{{.Body}}</p></section>
{{else}}<p>None yet.</p>{{end}}
</body></html>
`))
