// confluent-kafka-go in the client compatibility matrix
// (t/integration/matrix.sh).
//
// usage: confluent_kafka_go setup   BOOTSTRAP TOPIC PARTITIONS
//
//	confluent_kafka_go produce BOOTSTRAP TOPIC SPEC BATCH...
//	confluent_kafka_go consume BOOTSTRAP OUT TOPIC=N0,N1...
//	confluent_kafka_go group   BOOTSTRAP GROUP OUT TOPIC=N0,N1...
//	confluent_kafka_go seek    BOOTSTRAP TOPIC PARTITION TS END OUT
//
// (formats: t/integration/matrix/harness.py)
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/kafka"
)

const clientID = "mx-confluent_kafka_go"

// waitMs is every wait, stretched by KELP_TIME_FACTOR when kelpd runs
// slowly (valgrind).
var waitMs = 30000 * timeFactor()

func timeFactor() int {
	if f, err := strconv.Atoi(os.Getenv("KELP_TIME_FACTOR")); err == nil && f > 0 {
		return f
	}
	return 1
}

func step(name string, err error, detail string) {
	if err != nil {
		fmt.Printf("step %s fail %s\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Printf("step %s ok %s\n", name, detail)
	}
}

func conf(bootstrap string, kv ...interface{}) *kafka.ConfigMap {
	c := &kafka.ConfigMap{"bootstrap.servers": bootstrap, "client.id": clientID}
	for i := 0; i+1 < len(kv); i += 2 {
		c.SetKey(kv[i].(string), kv[i+1])
	}
	return c
}

func unhex(tok string) []byte {
	if tok == "-" {
		return nil
	}
	b, _ := hex.DecodeString(tok[1:])
	if b == nil {
		b = []byte{}
	}
	return b
}

func tohex(b []byte) string {
	if b == nil {
		return "-"
	}
	return "x" + hex.EncodeToString(b)
}

type batch struct {
	codec    string
	messages []*kafka.Message
}

func readSpec(path string, topic *string) ([]batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []batch
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		t := strings.Fields(sc.Text())
		if len(t) == 0 {
			continue
		}
		if t[0] == "batch" {
			out = append(out, batch{codec: t[1]})
			continue
		}
		p, _ := strconv.Atoi(t[1])
		ts, _ := strconv.ParseInt(t[2], 10, 64)
		m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: topic, Partition: int32(p)},
			Key: unhex(t[3]), Value: unhex(t[4]), Timestamp: time.Unix(ts/1000, ts%1000*1e6)}
		for i := 5; i+1 < len(t); i += 2 {
			m.Headers = append(m.Headers, kafka.Header{Key: string(unhex(t[i])), Value: unhex(t[i+1])})
		}
		out[len(out)-1].messages = append(out[len(out)-1].messages, m)
	}
	return out, sc.Err()
}

func setup(args []string) {
	bootstrap, topic := args[0], args[1]
	n, _ := strconv.Atoi(args[2])
	a, err := kafka.NewAdminClient(conf(bootstrap))
	if err != nil {
		step("metadata", err, "")
		step("create", err, "")
		return
	}
	defer a.Close()
	md, err := a.GetMetadata(nil, true, waitMs)
	if err == nil {
		var addrs []string
		listed := false
		for _, b := range md.Brokers {
			addr := fmt.Sprintf("%s:%d", b.Host, b.Port)
			addrs = append(addrs, addr)
			listed = listed || addr == bootstrap
		}
		if !listed {
			err = fmt.Errorf("brokers %v, not %s", addrs, bootstrap)
		} else {
			step("metadata", nil, fmt.Sprintf("brokers=%s topics=%d", strings.Join(addrs, ","), len(md.Topics)))
		}
	}
	if err != nil {
		step("metadata", err, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(waitMs)*time.Millisecond)
	defer cancel()
	res, err := a.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: topic, NumPartitions: n, ReplicationFactor: 1}})
	if err == nil && (len(res) != 1 || res[0].Error.Code() != kafka.ErrNoError) {
		err = fmt.Errorf("CreateTopics: %v", res)
	}
	if err == nil {
		md, err = a.GetMetadata(&topic, false, waitMs)
		if err == nil && len(md.Topics[topic].Partitions) != n {
			err = fmt.Errorf("after create: %+v", md.Topics[topic])
		}
	}
	step("create", err, "")
}

func produce(args []string) {
	bootstrap, topic := args[0], args[1]
	batches, err := readSpec(args[2], &topic)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, a := range args[3:] {
		i, _ := strconv.Atoi(a)
		b := batches[i]
		err := func() error {
			p, err := kafka.NewProducer(conf(bootstrap, "acks", "all", "compression.codec", b.codec, "linger.ms", 5))
			if err != nil {
				return err
			}
			defer p.Close()
			reports := make(chan kafka.Event, len(b.messages))
			for _, m := range b.messages {
				if err := p.Produce(m, reports); err != nil {
					return err
				}
			}
			for range b.messages {
				select {
				case ev := <-reports:
					if m, ok := ev.(*kafka.Message); !ok || m.TopicPartition.Error != nil {
						return fmt.Errorf("delivery: %v", ev)
					}
				case <-time.After(time.Duration(waitMs) * time.Millisecond):
					return fmt.Errorf("timed out waiting for delivery reports")
				}
			}
			return nil
		}()
		step("produce_"+b.codec, err, "")
	}
}

type tp struct {
	topic     string
	partition int32
}

type collector struct {
	want, next map[tp]int64
	lines      []string
}

func parseTopics(args []string) *collector {
	c := &collector{want: map[tp]int64{}, next: map[tp]int64{}}
	for _, a := range args {
		kv := strings.SplitN(a, "=", 2)
		for p, n := range strings.Split(kv[1], ",") {
			c.want[tp{kv[0], int32(p)}], _ = strconv.ParseInt(n, 10, 64)
		}
	}
	return c
}

func (c *collector) add(m *kafka.Message) error {
	k := tp{*m.TopicPartition.Topic, m.TopicPartition.Partition}
	off := int64(m.TopicPartition.Offset)
	want, ok := c.want[k]
	if !ok {
		return fmt.Errorf("record from unexpected %v", k)
	}
	if off < c.next[k] {
		return nil
	}
	if off != c.next[k] || off >= want {
		return fmt.Errorf("%s[%d]: offset %d where %d was next", k.topic, k.partition, off, c.next[k])
	}
	c.next[k]++
	line := fmt.Sprintf("%s %d %d %d %s %s", k.topic, k.partition, off, m.Timestamp.UnixNano()/1e6,
		tohex(m.Key), tohex(m.Value))
	for _, h := range m.Headers {
		line += " " + tohex([]byte(h.Key)) + " " + tohex(h.Value)
	}
	c.lines = append(c.lines, line+"\n")
	return nil
}

func (c *collector) done() bool {
	for k, n := range c.want {
		if c.next[k] < n {
			return false
		}
	}
	return true
}

func (c *collector) missing() error {
	var m []string
	for k, n := range c.want {
		if c.next[k] < n {
			m = append(m, fmt.Sprintf("%s[%d] %d/%d", k.topic, k.partition, c.next[k], n))
		}
	}
	sort.Strings(m)
	return fmt.Errorf("timed out, missing %s", strings.Join(m, ", "))
}

func (c *collector) write(path string) {
	os.WriteFile(path, []byte(strings.Join(c.lines, "")), 0o644)
}

func drain(cons *kafka.Consumer, c *collector) error {
	deadline := time.Now().Add(time.Duration(waitMs) * time.Millisecond)
	for !c.done() {
		if time.Now().After(deadline) {
			return c.missing()
		}
		switch ev := cons.Poll(200).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				return ev.TopicPartition.Error
			}
			if err := c.add(ev); err != nil {
				return err
			}
		case kafka.Error:
			return ev
		}
	}
	return nil
}

func consumer(bootstrap, group string) (*kafka.Consumer, error) {
	return kafka.NewConsumer(conf(bootstrap, "group.id", group, "enable.auto.commit", false,
		"auto.offset.reset", "earliest"))
}

func consume(args []string) {
	c := parseTopics(args[2:])
	err := func() error {
		cons, err := consumer(args[0], "mx-confluent_kafka_go-assign")
		if err != nil {
			return err
		}
		defer cons.Close()
		var parts []kafka.TopicPartition
		for k := range c.want {
			topic := k.topic
			parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: k.partition, Offset: kafka.OffsetBeginning})
		}
		if err := cons.Assign(parts); err != nil {
			return err
		}
		return drain(cons, c)
	}()
	c.write(args[1])
	step("consume", err, "")
}

func group(args []string) {
	c := parseTopics(args[3:])
	err := func() error {
		cons, err := consumer(args[0], args[1])
		if err != nil {
			return err
		}
		defer cons.Close()
		var topics []string
		var parts []kafka.TopicPartition
		for k := range c.want {
			topic := k.topic
			parts = append(parts, kafka.TopicPartition{Topic: &topic, Partition: k.partition})
			if k.partition == 0 {
				topics = append(topics, k.topic)
			}
		}
		if err := cons.SubscribeTopics(topics, nil); err != nil {
			return err
		}
		if err := drain(cons, c); err != nil {
			return err
		}
		if _, err := cons.Commit(); err != nil {
			return err
		}
		got, err := cons.Committed(parts, waitMs)
		if err != nil {
			return err
		}
		for _, g := range got {
			if n := c.want[tp{*g.Topic, g.Partition}]; int64(g.Offset) != n {
				return fmt.Errorf("%s[%d]: committed %v, expected %d", *g.Topic, g.Partition, g.Offset, n)
			}
		}
		return nil
	}()
	c.write(args[2])
	step("group", err, "")
}

func seek(args []string) {
	topic := args[1]
	p, _ := strconv.Atoi(args[2])
	ts, _ := strconv.ParseInt(args[3], 10, 64)
	end, _ := strconv.ParseInt(args[4], 10, 64)
	k := tp{topic, int32(p)}
	c := &collector{want: map[tp]int64{k: end}, next: map[tp]int64{}}
	var offset kafka.Offset = -1
	err := func() error {
		cons, err := consumer(args[0], "mx-confluent_kafka_go-assign")
		if err != nil {
			return err
		}
		defer cons.Close()
		got, err := cons.OffsetsForTimes([]kafka.TopicPartition{{Topic: &topic, Partition: int32(p), Offset: kafka.Offset(ts)}}, waitMs)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0].Error != nil || got[0].Offset < 0 {
			return fmt.Errorf("OffsetsForTimes: %v", got)
		}
		offset = got[0].Offset
		c.next[k] = int64(offset)
		if err := cons.Assign(got); err != nil {
			return err
		}
		return drain(cons, c)
	}()
	c.write(args[5])
	step("seek", err, fmt.Sprintf("offset=%d", offset))
}

func main() {
	cmds := map[string]func([]string){"setup": setup, "produce": produce, "consume": consume, "group": group, "seek": seek}
	if len(os.Args) < 3 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: confluent_kafka_go setup|produce|consume|group|seek ARGS...")
		os.Exit(2)
	}
	cmds[os.Args[1]](os.Args[2:])
}
