using System.Threading.Channels;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>
/// The background batch writer: order, back-pressure, shutdown, and (where the system lets a thread
/// leave the idle class again) its priority: idle while it keeps up, raised when work piles up.
/// </summary>
public sealed class BatchWriterTests
{
    private const int Normal = 0;
    private const int Idle = 5;

    /// <summary>A writer whose first batch blocks until released, recording what it was given.</summary>
    private sealed class GatedSink
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly List<int> Written = [];

        public void Write(List<int> batch)
        {
            Entered.TrySetResult();
            _gate.Task.Wait(TimeSpan.FromSeconds(10)); // bounded: a failed assertion leaves the gate shut
            lock (Written)
            {
                Written.AddRange(batch);
            }
        }

        public void Release() => _gate.TrySetResult();
    }

    private static async Task<BatchWriter<int>> BlockedWriter(GatedSink sink, int capacity = 65_536, TimeSpan? maxIdleWait = null, bool idleClass = true)
    {
        // The watchdog is tested on its own; elsewhere it must not raise a writer blocked on purpose.
        var writer = new BatchWriter<int>(sink.Write, "test writer", capacity, maxBatch: 1024, linger: TimeSpan.FromMilliseconds(1),
            maxIdleWait: maxIdleWait ?? TimeSpan.FromHours(1), idleClass: idleClass);
        await writer.EnqueueAsync(0);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return writer;
    }

    [Fact]
    public async Task Records_are_written_once_each_in_the_order_they_were_queued()
    {
        var sink = new GatedSink();
        await using var writer = await BlockedWriter(sink);
        for (int i = 1; i <= 5_000; i++)
        {
            await writer.EnqueueAsync(i);
        }

        sink.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test

        Assert.Equal(Enumerable.Range(0, 5_001), sink.Written);
        Assert.Equal(5_001, writer.Written);
        Assert.Equal(0, writer.Backlog);
    }

    [Fact]
    public async Task A_full_queue_makes_producers_wait_and_loses_nothing()
    {
        var sink = new GatedSink();
        await using var writer = await BlockedWriter(sink, capacity: 10);
        for (int i = 1; i <= 10; i++)
        {
            Assert.True(writer.EnqueueAsync(i).AsTask().IsCompletedSuccessfully);
        }

        var waiting = writer.EnqueueAsync(11).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted, "a producer went past a full queue");

        sink.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test
        Assert.Equal(Enumerable.Range(0, 12), sink.Written);
    }

    [Fact]
    public async Task After_disposal_the_rest_is_written_and_new_records_are_refused()
    {
        var sink = new GatedSink();
        var writer = await BlockedWriter(sink);
        await writer.EnqueueAsync(1);
        sink.Release();
        await writer.DisposeAsync();

        Assert.Equal([0, 1], sink.Written);
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await writer.EnqueueAsync(2));
    }

    private const string NoWayBack = "this machine does not allow the way back from the idle class (CAP_SYS_NICE): the writer stays in the normal policy";

    [SkippableFact]
    public async Task Where_the_way_back_is_not_allowed_the_writer_never_leaves_the_normal_policy()
    {
        Skip.If(BackgroundPriority.Available, "this machine allows the way back from the idle class (the tests below cover it)");
        var sink = new GatedSink();
        await using var writer = await BlockedWriter(sink);
        Assert.Equal(0, writer.ThreadId);
        sink.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test
    }

    [SkippableFact]
    public async Task The_writer_runs_idle_while_it_keeps_up_and_is_raised_when_records_pile_up()
    {
        Skip.IfNot(BackgroundPriority.Available, NoWayBack);
        var sink = new GatedSink();
        await using var writer = await BlockedWriter(sink);

        var tid = writer.ThreadId;
        Assert.Equal(Idle, PolicyOf(tid));

        // The record that makes the backlog reach the threshold raises the (blocked) writer.
        for (int i = 1; i < BatchWriter<int>.RaiseAt; i++)
        {
            await writer.EnqueueAsync(i);
        }

        Assert.Equal(Idle, PolicyOf(tid));
        await writer.EnqueueAsync(BatchWriter<int>.RaiseAt);
        Assert.Equal(Normal, PolicyOf(tid));

        // Once it has caught up, and nothing raised it for a while, it goes back to the idle class.
        sink.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test
        await Eventually(() => PolicyOf(tid) == Idle, within: TimeSpan.FromSeconds(20)); // after five quiet seconds
        Assert.Equal(BatchWriter<int>.RaiseAt + 1, sink.Written.Count);
    }

    [SkippableFact]
    public async Task Records_kept_waiting_by_a_starved_writer_get_it_raised()
    {
        Skip.IfNot(BackgroundPriority.Available, NoWayBack);
        var sink = new GatedSink();
        var maxIdleWait = TimeSpan.FromMilliseconds(100);
        await using var writer = await BlockedWriter(sink, maxIdleWait: maxIdleWait);

        var tid = writer.ThreadId;
        await writer.EnqueueAsync(1); // one record, far below the threshold, that the writer does not take
        await Eventually(() => PolicyOf(tid) == Normal, within: TimeSpan.FromSeconds(10));
        sink.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test
        Assert.Equal([0, 1], sink.Written);
    }

    [Fact]
    public async Task By_default_the_writer_keeps_the_normal_policy()
    {
        var sink = new GatedSink();
        await using var writer = await BlockedWriter(sink, idleClass: false);
        for (int i = 1; i <= BatchWriter<int>.RaiseAt; i++)
        {
            await writer.EnqueueAsync(i);
        }

        Assert.Equal(0, writer.ThreadId); // its priority is never managed
        if (OperatingSystem.IsLinux())
        {
            var policies = new List<int>();
            foreach (var t in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(t, "comm")).Trim() == "test writer")
                    {
                        policies.Add(PolicyOf(int.Parse(Path.GetFileName(t), System.Globalization.CultureInfo.InvariantCulture)));
                    }
                }
                catch (IOException)
                {
                    // A thread that ended meanwhile.
                }
            }

            Assert.NotEmpty(policies);
            Assert.All(policies, p => Assert.Equal(Normal, p));
        }

        sink.Release();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test
        Assert.Equal(BatchWriter<int>.RaiseAt + 1, sink.Written.Count);
    }

    /// <summary>A thread's scheduling policy as the kernel reports it: 0 normal, 5 idle, -1 unknown.</summary>
    private static int PolicyOf(int tid)
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 38 ? int.Parse(fields[38], System.Globalization.CultureInfo.InvariantCulture) : -1; // field 41 of stat
    }

    private static async Task Eventually(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(10);
        }
    }

    /// <summary>A writer whose batches do <paramref name="workPerRecord"/> of work per record and step
    /// aside between records, noting per batch its size, the writer's backlog at its start and the
    /// yields it made.</summary>
    private sealed class PacedSink(TimeSpan workPerRecord)
    {
        public readonly List<(int Size, int Backlog, long Yields, TimeSpan Took)> Batches = [];
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public BatchWriter<int>? Writer { get; set; }

        public void Write(List<int> batch)
        {
            Entered.TrySetResult();
            Gate.Task.Wait(TimeSpan.FromSeconds(10));
            var backlog = Writer!.Backlog;
            var before = WriterPace.Yields;
            var started = System.Diagnostics.Stopwatch.StartNew();
            foreach (var _ in batch)
            {
                var until = started.Elapsed + workPerRecord;
                while (started.Elapsed < until)
                {
                    // busy: a record's settlement and insert
                }

                WriterPace.Between();
            }

            lock (Batches)
            {
                Batches.Add((batch.Count, backlog, WriterPace.Yields - before, started.Elapsed));
            }
        }
    }

    [Fact]
    public async Task A_writer_with_a_short_queue_steps_aside_between_records_at_most_once_an_interval()
    {
        var sink = new PacedSink(TimeSpan.FromMicroseconds(20));
        sink.Gate.SetResult();
        await using var writer = new BatchWriter<int>(sink.Write, "paced writer", linger: TimeSpan.FromMilliseconds(1));
        sink.Writer = writer;
        for (int i = 0; i < 200; i++)
        {
            await writer.EnqueueAsync(i);
        }

        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test

        var batches = sink.Batches.ToList();
        Assert.Equal(200, batches.Sum(b => b.Size));
        var yields = batches.Sum(b => b.Yields);
        var worked = TimeSpan.FromTicks(batches.Sum(b => b.Took.Ticks));
        // 200 records of 20 µs: 4 ms of work, so about 80 yields at one each 50 µs; never more than
        // one per interval of the time the batches took.
        Assert.True(yields >= 20, $"{yields} yields in {worked.TotalMilliseconds:F1} ms of batch work");
        Assert.True(yields <= worked / WriterPace.Interval + batches.Count, $"{yields} yields in {worked.TotalMilliseconds:F1} ms of batch work");
    }

    [Fact]
    public async Task A_writer_behind_its_queue_does_not_step_aside()
    {
        var sink = new PacedSink(TimeSpan.FromMicroseconds(20));
        await using var writer = new BatchWriter<int>(sink.Write, "busy writer", maxBatch: 64, linger: TimeSpan.FromMilliseconds(1));
        sink.Writer = writer;
        await writer.EnqueueAsync(0);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        for (int i = 1; i <= 2_000; i++)
        {
            await writer.EnqueueAsync(i);
        }

        sink.Gate.SetResult();
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)); // bounded: a writer that never drains fails the test

        var batches = sink.Batches.ToList();
        Assert.Equal(2_001, batches.Sum(b => b.Size));
        // Every batch that started with WriterPace.YieldBelow or more records still queued ran straight through.
        var behind = batches.Where(b => b.Backlog >= WriterPace.YieldBelow).ToList();
        Assert.NotEmpty(behind);
        Assert.All(behind, b => Assert.Equal(0, b.Yields));
        // Once it caught up, it stepped aside again.
        Assert.Contains(batches, b => b.Backlog < WriterPace.YieldBelow && b.Yields > 0);
    }

    [Fact]
    public void Outside_a_writer_stepping_aside_does_nothing()
    {
        var before = WriterPace.Yields;
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromMilliseconds(2))
        {
            WriterPace.Between();
        }

        Assert.Equal(before, WriterPace.Yields);
    }
}
