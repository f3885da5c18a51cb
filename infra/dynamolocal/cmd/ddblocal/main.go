// Command ddblocal runs DynamoDB Local (see package dynamolocal).
//
//	ddblocal [-port N] [-db DIR] -- COMMAND [ARGS...]
//
// With a command, it starts DynamoDB Local, runs the command with
// DYNAMODB_ENDPOINT set to its URL, stops DynamoDB Local and exits with the
// command's code (make test runs `ddblocal -- go test ./...`). Without one,
// it prints the endpoint on stdout and serves until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/levqor/serverless/infra/dynamolocal"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: a free one)")
	db := flag.String("db", "", "persist tables in this directory instead of memory")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ddblocal [-port N] [-db DIR] [-- COMMAND [ARGS...]]")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(*port, *db, flag.Args()))
}

func run(port int, db string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{Port: port, DBPath: db})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddblocal:", err)
		return 2
	}
	defer srv.Stop()
	if len(args) == 0 {
		fmt.Println(srv.Endpoint)
		select {
		case <-ctx.Done():
			return 0
		case <-srv.Done():
			fmt.Fprintln(os.Stderr, "ddblocal: DynamoDB Local exited:", srv.Output())
			return 1
		}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), dynamolocal.EnvEndpoint+"="+srv.Endpoint)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "ddblocal:", err)
		return 2
	}
	// The command shares our process group, so a terminal's Ctrl-C reaches
	// it directly; SIGTERM (sent to us alone) is passed on. Either way we
	// wait for the command and then stop DynamoDB Local.
	stop()
	signal.Ignore(os.Interrupt)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		for range term {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code >= 0 {
			return code
		}
		return 1
	default:
		fmt.Fprintln(os.Stderr, "ddblocal:", err)
		return 1
	}
}
