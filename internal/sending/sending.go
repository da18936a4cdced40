// Package sending makes envelopes: a request, or a template with the
// people of its roles, checked by the signing rules, stored with its
// documents and started as a workflow. The API and bulk sends both send
// through it, so an envelope is made one way whoever asks.
package sending

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/signflow/signflow/internal/documents/blob"
	"github.com/signflow/signflow/internal/keys/signinglink"
	"github.com/signflow/signflow/internal/signing"
	"github.com/signflow/signflow/models"
	"github.com/signflow/signflow/models/database"
	"github.com/signflow/signflow/workflows/contract"
)

// Sender makes envelopes.
type Sender struct {
	Store     *database.Store
	Blobs     blob.Store
	Links     *signinglink.Minter
	Workflows *contract.Client
	Rules     signing.Rules
}

// resolve returns the envelope request spec makes, with its documents: a
// request naming a template becomes the template's envelope with its
// people and values. Problems of the request are FieldErrors; err is a
// failure to read what the request names.
func (s *Sender) resolve(ctx context.Context, tenant string, spec signing.EnvelopeRequest, docs []signing.Upload) (signing.EnvelopeRequest, []signing.Upload, signing.FieldErrors, error) {
	if spec.TemplateID == "" {
		return spec, docs, nil, nil
	}
	t, err := s.Store.GetTemplate(ctx, tenant, spec.TemplateID)
	if errors.Is(err, models.ErrNotFound) {
		return spec, nil, signing.FieldErrors{{Field: "template_id", Message: "no template with ID " + spec.TemplateID}}, nil
	}
	if err != nil {
		return spec, nil, nil, err
	}
	version := spec.TemplateVersion
	if version == 0 {
		version = t.Version
	}
	v, err := s.Store.GetTemplateVersion(ctx, tenant, spec.TemplateID, version)
	if errors.Is(err, models.ErrNotFound) {
		return spec, nil, signing.FieldErrors{{Field: "template_version", Message: "the template has no version " + strconv.Itoa(version)}}, nil
	}
	if err != nil {
		return spec, nil, nil, err
	}
	def, err := signing.ParseDefinition(v.Definition)
	if err != nil {
		return spec, nil, nil, err
	}
	out, errs := signing.FromTemplate(def, spec)
	if len(errs) > 0 {
		return spec, nil, errs, nil
	}
	out.TemplateID, out.TemplateVersion = spec.TemplateID, version
	docs = make([]signing.Upload, len(def.Documents))
	for i, d := range def.Documents {
		data, err := s.Blobs.Get(ctx, d.Key)
		if err != nil {
			return spec, nil, nil, fmt.Errorf("load template document %d: %w", i, err)
		}
		docs[i] = signing.Upload{Name: d.Name, Data: data}
	}
	return out, docs, nil, nil
}

// Send makes envelope id of tenant from spec and starts its workflow, or
// answers the request's problems. It is safe to repeat: a retry with the
// same id finds the stored envelope and starts its workflow, which is
// harmless when it runs. When the workflow cannot start and no retry will
// come (retried is false), the envelope is voided so that nothing waits
// on it, its creation kept in the audit trail.
func (s *Sender) Send(ctx context.Context, tenant, id string, spec signing.EnvelopeRequest, docs []signing.Upload, created models.Event, retried bool) (*models.Envelope, signing.FieldErrors, error) {
	prepared, docs, errs, err := s.prepare(ctx, tenant, spec, docs)
	if err != nil {
		return nil, nil, fmt.Errorf("read the template: %w", err)
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	env, err := s.save(ctx, prepared, docs, tenant, id, created)
	if err != nil {
		return nil, nil, fmt.Errorf("save the envelope: %w", err)
	}
	if err := s.start(ctx, env); err != nil {
		if !retried {
			reason := models.SystemEvent("start-failed", map[string]any{"reason": "the signing workflow could not be started"})
			if _, voidErr := s.Store.VoidStray(context.WithoutCancel(ctx), env.ID, reason); voidErr != nil {
				err = errors.Join(err, fmt.Errorf("void the envelope: %w", voidErr))
			}
		}
		return nil, nil, fmt.Errorf("start the signing workflow: %w", err)
	}
	return env, nil, nil
}

// prepare resolves and checks a request.
func (s *Sender) prepare(ctx context.Context, tenant string, spec signing.EnvelopeRequest, docs []signing.Upload) (*signing.Prepared, []signing.Upload, signing.FieldErrors, error) {
	spec, docs, errs, err := s.resolve(ctx, tenant, spec, docs)
	if err != nil || len(errs) > 0 {
		return nil, nil, errs, err
	}
	prepared, errs := signing.Prepare(spec, docs, s.Rules)
	return prepared, docs, errs, nil
}

// save stores envelope id of tenant, unless it is already stored: its
// documents, then the envelope with created, its creation event, in one
// transaction. A retry after a crash at any point finds or finishes the
// same envelope.
func (s *Sender) save(ctx context.Context, prepared *signing.Prepared, docs []signing.Upload, tenant, id string, created models.Event) (*models.Envelope, error) {
	env, err := s.Store.GetEnvelope(ctx, tenant, id)
	if !errors.Is(err, models.ErrNotFound) {
		return env, err
	}
	env, err = prepared.Build(s.Links, tenant, id, time.Now())
	if err != nil {
		return nil, err
	}
	for i, d := range env.Documents {
		if err := s.Blobs.Put(ctx, blob.OriginalKey(env.ID, d.ID), docs[i].Data); err != nil {
			return nil, fmt.Errorf("store document %d: %w", i, err)
		}
	}
	created.Type, created.OccurredAt = models.EventEnvelopeCreated, env.CreatedAt
	if err := s.Store.CreateEnvelope(ctx, env, created); err != nil {
		return nil, err
	}
	return env, nil
}

// start starts the envelope's workflow; starting it again is harmless.
func (s *Sender) start(ctx context.Context, env *models.Envelope) error {
	return s.Workflows.Start(ctx, workflowInput(env))
}

// workflowInput is what the envelope's workflow starts from.
func workflowInput(env *models.Envelope) contract.EnvelopeInput {
	in := contract.EnvelopeInput{
		EnvelopeID: env.ID, TenantID: env.TenantID, Version: env.Version,
		Settings: contract.Settings{
			ExpiresAt:        env.ExpiresAt,
			ExpiryWarning:    time.Duration(env.ExpiryWarningSeconds) * time.Second,
			ReminderInterval: time.Duration(env.ReminderIntervalSeconds) * time.Second,
			ReminderCount:    env.ReminderCount,
			AllowReassign:    env.AllowReassign,
		},
	}
	for _, r := range env.Recipients {
		in.Recipients = append(in.Recipients, contract.RecipientInput{ID: r.ID, Role: r.Role, RoutingOrder: r.RoutingOrder,
			Embedded: r.Embedded()})
	}
	return in
}
