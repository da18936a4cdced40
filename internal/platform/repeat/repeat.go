// Package repeat runs a piece of work while something is repeated beside
// it: a heartbeat, a lease renewed.
package repeat

import (
	"sync"
	"time"
)

// While runs work, calling tick every interval until work returns, and
// returns work's error once tick has stopped for good, so that no tick
// comes after While returns.
func While(every time.Duration, tick func(), work func() error) error {
	done := make(chan struct{})
	var ticking sync.WaitGroup
	ticking.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				tick()
			}
		}
	})
	err := work()
	close(done)
	ticking.Wait()
	return err
}
