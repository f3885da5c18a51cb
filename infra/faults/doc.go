// Package faults holds the fault tests (`make faults`, infra/scripts/faults.sh):
// the local stack under DynamoDB Local killed and restarted, DynamoDB slowed,
// the event bus failing and a keepalive target hanging. The tests drive the
// real function binaries through infra/devstack; they skip unless
// faults.sh has built them (LEVQOR_PREBUILT).
package faults
