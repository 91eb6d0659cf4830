package analytics

import (
	"context"
	"errors"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Start starts a READY application from the inputs' starting positions:
// STARTING until its runner has compiled the code and loaded the
// reference data, then RUNNING.
func (m *Manager) Start(ctx context.Context, name string, inputs []InputConfiguration) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	if busy := m.status(s, mustStored(s.Def())); busy != StatusReady {
		return errorf(registry.ErrResourceInUse, "Application %s is %s; only a READY application can be started.", name, busy)
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if st.Running {
			return errorf(registry.ErrResourceInUse, "Application %s is RUNNING.", name)
		}
		if len(st.Inputs) == 0 {
			return errorf(ErrInvalidConfiguration, "Application %s has no input to read.", name)
		}
		if len(inputs) != len(st.Inputs) {
			return errorf(registry.ErrInvalidArgument, "InputConfigurations must name each of the application's inputs once.")
		}
		start := ""
		for _, ic := range inputs {
			found := false
			for i := range st.Inputs {
				if st.Inputs[i].ID == ic.ID {
					found = true
					if ic.InputStartingPositionConfiguration == nil {
						return errorf(registry.ErrInvalidArgument, "Input %s needs an InputStartingPositionConfiguration.", ic.ID)
					}
					start = ic.InputStartingPositionConfiguration.InputStartingPosition
					switch start {
					case StartNow, StartTrimHorizon, StartLastStoppedPoint:
					default:
						return errorf(registry.ErrInvalidArgument, "InputStartingPosition must be NOW, TRIM_HORIZON or LAST_STOPPED_POINT.")
					}
					if start == StartTrimHorizon && st.Inputs[i].KinesisFirehoseInput != nil {
						return errorf(registry.ErrInvalidArgument, "TRIM_HORIZON is not a valid starting position for an input from a Firehose delivery stream; use NOW or LAST_STOPPED_POINT.")
					}
					st.Inputs[i].Start = start
				}
			}
			if !found {
				return errorf(registry.ErrInvalidArgument, "Input %s is not found in application %s.", ic.ID, name)
			}
		}
		if st.Code == "" {
			return errorf(ErrInvalidConfiguration, "Application %s has no code.", name)
		}
		if _, err := st.compile(m, nil); err != nil {
			return err
		}
		st.Running = true
		st.Start = start
		st.StartTime = m.cfg.Now().UnixMilli()
		if start != StartLastStoppedPoint || st.Checkpoint == nil {
			st.Checkpoint = nil
		} else {
			// Resume each input where it stopped; the windows start fresh,
			// as the service rebuilds no state.
			st.Checkpoint.Snapshot, st.Checkpoint.SnapshotSeq, st.Checkpoint.Plan = nil, nil, ""
		}
		st.encode(def)
		return nil
	})
	if err != nil {
		return goneAsNotFound(err, name)
	}
	m.startRunner(s, false)
	return nil
}

// Stop stops a RUNNING application: STOPPING until its runner has
// checkpointed and ended, then READY.
func (m *Manager) Stop(ctx context.Context, name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	a := s.Runtime()
	st := mustStored(s.Def())
	if status := m.status(s, st); status != StatusRunning && status != StatusStarting {
		return errorf(registry.ErrResourceInUse, "Application %s is %s; only a RUNNING application can be stopped.", name, status)
	}
	a.setStatus(StatusStopping)
	go func() {
		a.stopRunner()
		_, err := s.Update(context.WithoutCancel(ctx), func(def *index.Stream) error {
			st, err := decodeStored(def)
			if err != nil {
				return err
			}
			st.Running = false
			st.encode(def)
			return nil
		})
		if err != nil && !errors.Is(err, registry.ErrGone) {
			m.cfg.Logger.Error("analytics: stop", "application", name, "err", err)
		}
		a.setStatus("")
	}()
	return nil
}
