package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// One tenant's flood of page images waits for its own slots, never for
// another tenant's, and gives up after renderWait.
func TestPageImagesAreBoundedPerTenant(t *testing.T) {
	var slots tenantSlots
	ctx := context.Background()
	for range rendersPerTenant {
		require.True(t, slots.acquire(ctx, "flooding"))
	}
	require.True(t, slots.acquire(ctx, "other"), "another tenant is drawn at once")

	waiting := make(chan bool)
	go func() { waiting <- slots.acquire(ctx, "flooding") }()
	slots.release("flooding")
	require.True(t, <-waiting, "a waiting request takes the slot released")

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.False(t, slots.acquire(short, "flooding"), "past its slots a tenant's request waits, then gives up")

	for range rendersPerTenant {
		slots.release("flooding")
	}
	slots.release("other")
	require.Empty(t, slots.slots, "no tenant is remembered once idle")
}
