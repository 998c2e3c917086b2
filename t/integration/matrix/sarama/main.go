// Sarama in the client compatibility matrix (t/integration/matrix.sh).
// Sarama does not negotiate versions: -version 2.0.0 sets Config.Version to
// V2_0_0_0, -version newest to the newest constant this Sarama knows.
//
// usage: sarama -version V setup   BOOTSTRAP TOPIC PARTITIONS
//
//	sarama -version V produce BOOTSTRAP TOPIC SPEC BATCH...
//	sarama -version V consume BOOTSTRAP OUT TOPIC=N0,N1...
//	sarama -version V group   BOOTSTRAP GROUP OUT TOPIC=N0,N1...
//	sarama -version V seek    BOOTSTRAP TOPIC PARTITION TS END OUT
//
// (formats: t/integration/matrix/harness.py)
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// wait is every wait, stretched by KELP_TIME_FACTOR when kelpd runs slowly
// (valgrind).
var wait = 30 * time.Second * time.Duration(timeFactor())

func timeFactor() int {
	if f, err := strconv.Atoi(os.Getenv("KELP_TIME_FACTOR")); err == nil && f > 0 {
		return f
	}
	return 1
}

var (
	version  sarama.KafkaVersion
	clientID string
)

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = version
	c.ClientID = clientID
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	return c
}

func step(name string, err error, detail string) {
	if err != nil {
		fmt.Printf("step %s fail %s\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Printf("step %s ok %s\n", name, detail)
	}
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

func tohex(b []byte, null bool) string {
	if null {
		return "-"
	}
	return "x" + hex.EncodeToString(b)
}

type batch struct {
	codec   string
	records []*sarama.ProducerMessage
}

func readSpec(path, topic string) ([]batch, error) {
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
		m := &sarama.ProducerMessage{Topic: topic, Partition: int32(p), Key: sarama.ByteEncoder(unhex(t[3])),
			Value: sarama.ByteEncoder(unhex(t[4])), Timestamp: time.Unix(ts/1000, ts%1000*1e6)}
		for i := 5; i+1 < len(t); i += 2 {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: unhex(t[i]), Value: unhex(t[i+1])})
		}
		out[len(out)-1].records = append(out[len(out)-1].records, m)
	}
	return out, sc.Err()
}

func setup(args []string) {
	bootstrap, topic := args[0], args[1]
	n, _ := strconv.Atoi(args[2])
	client, err := sarama.NewClient([]string{bootstrap}, config())
	if err != nil {
		step("metadata", err, "")
		step("create", err, "")
		return
	}
	defer client.Close()
	err = func() error {
		var addrs []string
		for _, b := range client.Brokers() {
			addrs = append(addrs, b.Addr())
		}
		topics, err := client.Topics()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if a == bootstrap {
				step("metadata", nil, fmt.Sprintf("brokers=%s topics=%d", strings.Join(addrs, ","), len(topics)))
				return nil
			}
		}
		return fmt.Errorf("brokers %v, not %s", addrs, bootstrap)
	}()
	if err != nil {
		step("metadata", err, "")
	}
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, config())
	if err == nil {
		err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: int32(n), ReplicationFactor: 1}, false)
		admin.Close()
	}
	if err == nil {
		err = client.RefreshMetadata(topic)
	}
	if err == nil {
		var parts []int32
		if parts, err = client.Partitions(topic); err == nil && len(parts) != n {
			err = fmt.Errorf("after create: partitions %v", parts)
		}
	}
	step("create", err, "")
}

var codecs = map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD}

func produce(args []string) {
	bootstrap, topic := args[0], args[1]
	batches, err := readSpec(args[2], topic)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, a := range args[3:] {
		i, _ := strconv.Atoi(a)
		b := batches[i]
		c := config()
		c.Producer.RequiredAcks = sarama.WaitForAll
		c.Producer.Return.Successes = true
		c.Producer.Partitioner = sarama.NewManualPartitioner
		c.Producer.Compression = codecs[b.codec]
		p, err := sarama.NewSyncProducer([]string{bootstrap}, c)
		if err == nil {
			err = p.SendMessages(b.records)
			p.Close()
		}
		step("produce_"+b.codec, err, "")
	}
}

type tp struct {
	topic     string
	partition int32
}

// collector: the records consumed until each partition reached its count.
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

func (c *collector) add(m *sarama.ConsumerMessage) error {
	k := tp{m.Topic, m.Partition}
	want, ok := c.want[k]
	if !ok {
		return fmt.Errorf("record from unexpected %s[%d]", m.Topic, m.Partition)
	}
	if m.Offset < c.next[k] {
		return nil
	}
	if m.Offset != c.next[k] || m.Offset >= want {
		return fmt.Errorf("%s[%d]: offset %d where %d was next", m.Topic, m.Partition, m.Offset, c.next[k])
	}
	c.next[k]++
	line := fmt.Sprintf("%s %d %d %d %s %s", m.Topic, m.Partition, m.Offset, m.Timestamp.UnixNano()/1e6,
		tohex(m.Key, m.Key == nil), tohex(m.Value, m.Value == nil))
	for _, h := range m.Headers {
		line += " " + tohex(h.Key, false) + " " + tohex(h.Value, h.Value == nil)
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

// readPartitions consumes each wanted partition from its start offset.
func readPartitions(bootstrap string, c *collector, start map[tp]int64) error {
	consumer, err := sarama.NewConsumer([]string{bootstrap}, config())
	if err != nil {
		return err
	}
	defer consumer.Close()
	msgs := make(chan *sarama.ConsumerMessage, 256)
	errs := make(chan error, 16)
	for k, n := range c.want {
		if start[k] >= n {
			continue
		}
		pc, err := consumer.ConsumePartition(k.topic, k.partition, start[k])
		if err != nil {
			return err
		}
		defer pc.Close()
		go func() {
			for m := range pc.Messages() {
				msgs <- m
			}
		}()
		go func() {
			for e := range pc.Errors() {
				errs <- e
			}
		}()
	}
	deadline := time.After(wait)
	for !c.done() {
		select {
		case m := <-msgs:
			if err := c.add(m); err != nil {
				return err
			}
		case e := <-errs:
			return e
		case <-deadline:
			return c.missing()
		}
	}
	return nil
}

func consume(args []string) {
	c := parseTopics(args[2:])
	start := map[tp]int64{}
	for k := range c.want {
		start[k] = sarama.OffsetOldest
	}
	err := readPartitions(args[0], c, start)
	c.write(args[1])
	step("consume", err, "")
}

type handler struct {
	c    *collector
	done chan error
	mu   sync.Mutex // claims are consumed concurrently
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		err, complete := h.c.add(m), h.c.done()
		h.mu.Unlock()
		if err != nil {
			h.done <- err
			return err
		}
		s.MarkMessage(m, "")
		if complete {
			select {
			case h.done <- nil:
			default:
			}
		}
	}
	return nil
}

func group(args []string) {
	bootstrap, groupID := args[0], args[1]
	c := parseTopics(args[3:])
	err := func() error {
		cfg := config()
		cfg.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
		// A retention makes Sarama commit with OffsetCommit v2; without one it
		// sends v1, which Kafka 4.0 (KIP-896) and Kelp no longer serve.
		cfg.Consumer.Offsets.Retention = 24 * time.Hour
		cg, err := sarama.NewConsumerGroup([]string{bootstrap}, groupID, cfg)
		if err != nil {
			return err
		}
		var topics []string
		for k := range c.want {
			if k.partition == 0 {
				topics = append(topics, k.topic)
			}
		}
		h := &handler{c: c, done: make(chan error, 64)}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for ctx.Err() == nil {
				cg.Consume(ctx, topics, h)
			}
		}()
		select {
		case err = <-h.done:
		case err = <-cg.Errors():
		case <-time.After(wait):
			err = c.missing()
		}
		cancel()
		// Close commits what was marked and leaves the group.
		if e := cg.Close(); err == nil {
			err = e
		}
		if err != nil {
			return err
		}
		return checkCommitted(bootstrap, groupID, c)
	}()
	c.write(args[2])
	step("group", err, "")
}

func checkCommitted(bootstrap, groupID string, c *collector) error {
	client, err := sarama.NewClient([]string{bootstrap}, config())
	if err != nil {
		return err
	}
	defer client.Close()
	coord, err := client.Coordinator(groupID)
	if err != nil {
		return err
	}
	req := &sarama.OffsetFetchRequest{ConsumerGroup: groupID, Version: 1}
	for k := range c.want {
		req.AddPartition(k.topic, k.partition)
	}
	resp, err := coord.FetchOffset(req)
	if err != nil {
		return err
	}
	for k, n := range c.want {
		b := resp.GetBlock(k.topic, k.partition)
		if b == nil || b.Err != sarama.ErrNoError || b.Offset != n {
			return fmt.Errorf("%s[%d]: committed %+v, expected %d", k.topic, k.partition, b, n)
		}
	}
	return nil
}

func seek(args []string) {
	bootstrap, topic := args[0], args[1]
	p, _ := strconv.Atoi(args[2])
	ts, _ := strconv.ParseInt(args[3], 10, 64)
	end, _ := strconv.ParseInt(args[4], 10, 64)
	k := tp{topic, int32(p)}
	c := &collector{want: map[tp]int64{k: end}, next: map[tp]int64{}}
	var offset int64 = -1
	err := func() error {
		client, err := sarama.NewClient([]string{bootstrap}, config())
		if err != nil {
			return err
		}
		offset, err = client.GetOffset(topic, int32(p), ts)
		client.Close()
		if err != nil {
			return err
		}
		if offset < 0 {
			return errors.New("no offset for the timestamp")
		}
		c.next[k] = offset
		return readPartitions(bootstrap, c, map[tp]int64{k: offset})
	}()
	c.write(args[5])
	step("seek", err, fmt.Sprintf("offset=%d", offset))
}

func main() {
	v := flag.String("version", "2.0.0", "Kafka version for Config.Version: a version or \"newest\"")
	flag.Parse()
	if *v == "newest" {
		version = sarama.MaxVersion
		clientID = "mx-sarama_" + strings.ReplaceAll(version.String()[:3], ".", "_")
	} else {
		var err error
		if version, err = sarama.ParseKafkaVersion(*v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		clientID = "mx-sarama_" + strings.ReplaceAll((*v)[:3], ".", "_")
	}
	args := flag.Args()
	cmds := map[string]func([]string){"setup": setup, "produce": produce, "consume": consume, "group": group, "seek": seek}
	if len(args) < 2 || cmds[args[0]] == nil {
		fmt.Fprintln(os.Stderr, "usage: sarama -version V setup|produce|consume|group|seek ARGS...")
		os.Exit(2)
	}
	cmds[args[0]](args[1:])
}
