// A Sarama consumer-group member for t/integration/group_driver.py: prints
// "assigned P,P,..." when a session starts, "assigned" when it ends, and
// "msg PARTITION OFFSET VALUE" per message; marks each message after
// printing it (offsets are committed every 100 ms and when the session
// ends), and on SIGTERM closes the group (commit, leave).
//
// usage: group_sarama BOOTSTRAP TOPIC GROUP
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Shopify/sarama"
)

var outLock sync.Mutex

func out(format string, args ...interface{}) {
	outLock.Lock()
	defer outLock.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

type handler struct{ topic string }

func (h handler) Setup(s sarama.ConsumerGroupSession) error {
	parts := append([]int32(nil), s.Claims()[h.topic]...)
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	text := make([]string, len(parts))
	for i, p := range parts {
		text[i] = fmt.Sprint(p)
	}
	out("assigned %s", strings.Join(text, ","))
	return nil
}

func (h handler) Cleanup(s sarama.ConsumerGroupSession) error {
	out("assigned")
	return nil
}

func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		out("msg %d %d %s", m.Partition, m.Offset, string(m.Value))
		s.MarkMessage(m, "")
	}
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: group_sarama BOOTSTRAP TOPIC GROUP")
		os.Exit(2)
	}
	bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[3]
	config := sarama.NewConfig()
	config.Version = sarama.V2_0_0_0
	config.Consumer.Return.Errors = true
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	// Sarama 1.22 commits with OffsetCommit v1 unless a retention is set;
	// Kafka 4.0 (and Kelp) serve OffsetCommit from v2 (KIP-896).
	config.Consumer.Offsets.Retention = 24 * time.Hour
	config.Consumer.Group.Session.Timeout = 10 * time.Second
	config.Consumer.Group.Heartbeat.Interval = time.Second
	cg, err := sarama.NewConsumerGroup([]string{bootstrap}, group, config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "new consumer group:", err)
		os.Exit(1)
	}
	go func() {
		for err := range cg.Errors() {
			fmt.Fprintln(os.Stderr, "consumer group error:", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		cancel()
	}()
	for ctx.Err() == nil {
		if err := cg.Consume(ctx, []string{topic}, handler{topic}); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "consume:", err)
			time.Sleep(200 * time.Millisecond)
		}
	}
	if err := cg.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		os.Exit(1)
	}
}
