using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using WsCore.Closing;
using WsCore.Framing;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>The faults every transport × policy cell of the matrix is put through.</summary>
public enum Fault
{
    /// <summary>The peer never reads: sends block (Wait) or fill the buffer; the application closes; the close timeout aborts.</summary>
    ReaderPausedForGood,
    /// <summary>The peer stops reading until the sender is pushed back, then reads everything and answers the close.</summary>
    ReaderPausedThenResumes,
    /// <summary>The peer reads 2 KiB at a time with a pause after each read while the sender goes as fast as it may.</summary>
    SlowReader,
    /// <summary>The peer sends half a frame, stops reading until the server's output is stuck mid-stream, and resets the connection.</summary>
    PeerResetMidFrame,
    /// <summary>The server's transport fails on write while a flush is held back.</summary>
    TransportThrowsOnWrite,
    /// <summary>The server's transport fails on read while a receive is waiting.</summary>
    TransportThrowsOnRead,
    /// <summary>A keep-alive ping goes unanswered while a flush is held back: the keep-alive timeout aborts.</summary>
    KeepAliveTimeoutWhileFlushBlocked,
    /// <summary><see cref="WebSocketConnection.DisposeAsync"/> while another task is in <see cref="WebSocketConnection.SendAsync(ReadOnlyMemory{byte}, MessageKind, bool, CancellationToken)"/>.</summary>
    DisposeDuringSend,
    /// <summary><see cref="WebSocketConnection.Abort"/> while a receive is waiting and a sender is sending.</summary>
    AbortDuringReceive,
    /// <summary>Eight tasks send at once while the peer pauses and resumes.</summary>
    ConcurrentSenders8,
    /// <summary>The peer reads everything, the close frame included, but never answers it.</summary>
    CloseTimeoutExpiring,
}

[CollectionDefinition("FaultMatrix", DisableParallelization = true)]
public sealed class FaultMatrixCollection : ICollectionFixture<FaultMatrixFixture>
{
}

/// <summary>The matrix's Kestrel servers, and the exception hooks (installed once for the process).</summary>
public sealed class FaultMatrixFixture : IAsyncLifetime
{
    internal KestrelFaultHosts Kestrel { get; } = new();

    public async Task InitializeAsync()
    {
        ExceptionWatch.Install();
        await Kestrel.StartAsync();
    }

    public async Task DisposeAsync() => await Kestrel.DisposeAsync();
}

/// <summary>
/// Issue 11's fault-injection matrix: every transport × backpressure policy × fault. Every cell asserts that
/// <list type="bullet">
/// <item>no exception reached <see cref="AppDomain.UnhandledException"/> or <see cref="TaskScheduler.UnobservedTaskException"/>
/// (checked after forced full collections and finalizers; the process surviving the run is the rest of it);</item>
/// <item>the connection ends in the state the cell defines (Closed after a closing handshake with a given code, or
/// aborted, with <see cref="WebSocketConnection.TimedOut"/> saying why when a timer did it) within <see cref="Bound"/>,
/// and that every pending send, receive and <see cref="WebSocketConnection.DisposeAsync"/> returns within it;</item>
/// <item>the peer's frames are all well-formed, each message whole (sender, sequence number and a pattern in its
/// payload), per sender in sending order, and only messages that were sent; when the connection ends with a closing
/// handshake (or the peer read up to the close frame), every message whose send returned <see cref="SendStatus.Done"/>
/// arrived. An aborted connection may drop what it had not handed to the peer yet (a prefix arrives, the last frame may
/// be cut off by the abort);</item>
/// <item>managed memory at the cell's most pushed-back moment is at most <see cref="Limit"/> + <see cref="MemorySlack"/>
/// above what it was before the connection existed;</item>
/// <item>FailSend recovers (a later send returns Done) once the reader reads again; CloseWith1013/1009 close with their
/// code.</item>
/// </list>
/// Timers (keep-alive, close timeout) run on a <see cref="FakeTimeProvider"/> the cell advances.
/// </summary>
[Collection("FaultMatrix")]
public sealed class FaultMatrixTests(FaultMatrixFixture fixture, ITestOutputHelper output)
{
    /// <summary>The outbound buffer limit of the non-waiting policies.</summary>
    private const long Limit = 256 * 1024;

    /// <summary>
    /// What may be held on top of <see cref="Limit"/>: the transport's own buffer up to its pause threshold (64 KiB),
    /// a message, a stream writer's or Kestrel's pooled segments and the pools' retained arrays, the peer's and the
    /// test's bookkeeping, and GC measurement noise (a few hundred KiB with Kestrel's pinned block pool).
    /// </summary>
    private const long MemorySlack = 1024 * 1024;

    private const int MessageSize = 1024;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How long anything that must end may take (cells take milliseconds to a second; this only catches hangs).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static IEnumerable<object[]> Cells()
    {
        foreach (TransportKind transport in Enum.GetValues<TransportKind>())
            foreach (BackpressurePolicy policy in Enum.GetValues<BackpressurePolicy>())
                foreach (Fault fault in Enum.GetValues<Fault>())
                    yield return [transport, policy, fault];
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Cell(TransportKind transport, BackpressurePolicy policy, Fault fault)
    {
        var watch = Stopwatch.StartNew();
        string name = $"{transport}/{policy}/{fault}";
        ExceptionWatch.AssertNone("before " + name); // anything left by an earlier test is not this cell's
        long baseline = GC.GetTotalMemory(true);
        var time = new FakeTimeProvider();
        var options = new WebSocketConnectionOptions
        {
            BackpressurePolicy = policy,
            MaxBufferedOutboundBytes = Limit,
            CloseTimeout = CloseTimeout,
            TimeProvider = time,
            KeepAliveInterval = fault == Fault.KeepAliveTimeoutWhileFlushBlocked ? KeepAliveInterval : TimeSpan.Zero,
            KeepAliveTimeout = fault == Fault.KeepAliveTimeoutWhileFlushBlocked ? KeepAliveTimeout : Timeout.InfiniteTimeSpan,
        };
        FaultPair pair = await FaultTransports.CreateAsync(transport, options, fixture.Kestrel);
        var cell = new CellState(pair, policy, time, baseline, output);
        try
        {
            await RunAsync(cell, fault);
        }
        finally
        {
            await cell.DisposeAsync();
        }
        ExceptionWatch.AssertNone(name);
        output.WriteLine($"{name}: {watch.ElapsedMilliseconds} ms, peak managed memory +{cell.PeakMemory / 1024} KiB, {cell.Log.DoneCount} sends Done, {cell.Reader.MessageCount} messages read");
    }

    private static Task RunAsync(CellState cell, Fault fault) => fault switch
    {
        Fault.ReaderPausedForGood => ReaderPausedForGoodAsync(cell),
        Fault.ReaderPausedThenResumes => ReaderPausedThenResumesAsync(cell),
        Fault.SlowReader => SlowReaderAsync(cell),
        Fault.PeerResetMidFrame => PeerResetMidFrameAsync(cell),
        Fault.TransportThrowsOnWrite => TransportThrowsOnWriteAsync(cell),
        Fault.TransportThrowsOnRead => TransportThrowsOnReadAsync(cell),
        Fault.KeepAliveTimeoutWhileFlushBlocked => KeepAliveTimeoutWhileFlushBlockedAsync(cell),
        Fault.DisposeDuringSend => DisposeDuringSendAsync(cell),
        Fault.AbortDuringReceive => AbortDuringReceiveAsync(cell),
        Fault.ConcurrentSenders8 => ConcurrentSendersAsync(cell),
        Fault.CloseTimeoutExpiring => CloseTimeoutExpiringAsync(cell),
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    private static ushort PolicyCode(BackpressurePolicy policy) =>
        policy == BackpressurePolicy.CloseWith1013 ? CloseCodes.TryAgainLater : CloseCodes.MessageTooBig;

    private static bool IsClosingPolicy(BackpressurePolicy policy) =>
        policy is BackpressurePolicy.CloseWith1013 or BackpressurePolicy.CloseWith1009;

    // ================================================================ the faults

    private static async Task ReaderPausedForGoodAsync(CellState c)
    {
        c.Reader.Start(paused: true);
        using var giveUp = new CancellationTokenSource();
        Task<SendStatus>? blocked = await c.FillUntilPushedBackAsync(giveUp.Token);
        c.SampleMemory();
        Task<SendStatus>? closing = null;
        switch (c.Policy)
        {
            case BackpressurePolicy.Wait:
                // The application gives up on the blocked send (its own timeout), then closes; that flush blocks too.
                giveUp.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked!.WaitAsync(Bound));
                closing = c.Conn.CloseOutputAsync(CloseCodes.GoingAway).AsTask();
                break;
            case BackpressurePolicy.FailSend:
                Assert.Equal(CloseHandshakeState.Open, c.Conn.State);
                Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.GoingAway).AsTask().WaitAsync(Bound));
                break;
            default:
                Assert.Equal(CloseHandshakeState.CloseSent, c.Conn.State); // the policy started the close
                break;
        }
        Assert.Equal(CloseHandshakeState.CloseSent, c.Conn.State);
        c.Time.Advance(CloseTimeout);
        Assert.Equal(KeepAliveAction.CloseTimedOut, c.Conn.TimedOut);
        Assert.True(c.Conn.IsAborted);
        if (closing is not null) Assert.Contains(await closing.WaitAsync(Bound), new[] { SendStatus.Done, SendStatus.Closed }); // the abort ended its flush
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        Assert.Equal(SendStatus.Closed, await c.SendAsync(0));
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task ReaderPausedThenResumesAsync(CellState c)
    {
        c.Reader.Start(paused: true, answerClose: true);
        using var giveUp = new CancellationTokenSource();
        Task<SendStatus>? blocked = await c.FillUntilPushedBackAsync(giveUp.Token);
        if (c.Policy == BackpressurePolicy.Wait)
        {
            // The README's way to give up on a blocked send: cancel its token. The connection stays open; the sender
            // goes on (and blocks again) until the reader resumes.
            giveUp.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked!.WaitAsync(Bound));
            Assert.False(c.Conn.IsAborted, "cancelling a send aborted the connection");
            Task<SendStatus> again = c.SendAsync(0);
            Assert.False(await Task.WhenAny(again, Task.Delay(100)) == again && !again.IsCompletedSuccessfully, "the next send failed");
            blocked = again;
        }
        c.SampleMemory();
        c.Reader.Resume();
        ushort expectedCode = CloseCodes.NormalClosure;
        switch (c.Policy)
        {
            case BackpressurePolicy.Wait:
                Assert.Equal(SendStatus.Done, await blocked!.WaitAsync(Bound));
                for (int i = 0; i < 20; i++) Assert.Equal(SendStatus.Done, await c.SendAsync(0).WaitAsync(Bound));
                break;
            case BackpressurePolicy.FailSend:
                await c.SendUntilDoneAsync(0); // recovers once the backlog is read
                for (int i = 0; i < 20; i++) await c.SendUntilDoneAsync(0);
                break;
            default:
                expectedCode = PolicyCode(c.Policy);
                break;
        }
        if (expectedCode == CloseCodes.NormalClosure) Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
        await c.AssertClosedAsync(expectedCode);
        await c.FinishAsync(aborted: false, mustDeliverAll: true);
    }

    private static async Task SlowReaderAsync(CellState c)
    {
        const int Messages = 600;
        c.Reader.Start(paused: false, answerClose: true, slow: true);
        bool sawFull = false;
        while (c.Log.DoneCount < Messages)
        {
            SendStatus status = await c.SendAsync(0).WaitAsync(Bound);
            if (status == SendStatus.Done) continue;
            Assert.Equal(SendStatus.BufferFull, status);
            if (!sawFull) c.SampleMemory();
            sawFull = true;
            if (IsClosingPolicy(c.Policy)) break;
            await Task.Delay(1);
        }
        if (c.Policy == BackpressurePolicy.Wait) c.SampleMemory();
        else Assert.True(sawFull, "the slow reader never pushed the sender to its limit");
        ushort expectedCode = IsClosingPolicy(c.Policy) ? PolicyCode(c.Policy) : CloseCodes.NormalClosure;
        if (!IsClosingPolicy(c.Policy)) Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
        else Assert.Equal(CloseHandshakeState.CloseSent, c.Conn.State);
        await c.AssertClosedAsync(expectedCode);
        await c.FinishAsync(aborted: false, mustDeliverAll: true);
    }

    private static async Task PeerResetMidFrameAsync(CellState c)
    {
        c.Reader.Start(paused: false);
        for (int i = 0; i < 50; i++) Assert.Equal(SendStatus.Done, await c.SendAsync(0).WaitAsync(Bound));
        await c.Reader.WaitForMessagesAsync(50);
        c.Reader.Pause();
        // Half of a 2000-byte frame: the server's receive is in the middle of it when the reset comes.
        byte[] frame = Wire.Client(2, new byte[2000]);
        await c.Pair.Peer.WriteAsync(frame.AsMemory(0, 1000)).AsTask().WaitAsync(Bound);
        Task<SendStatus>? blocked = await c.FillUntilFlushHeldBackAsync();
        c.SampleMemory();
        c.Pair.Peer.Reset();
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        if (blocked is not null) await c.AssertBlockedSendFailsAsync(blocked);
        await c.SendUntilClosedAsync();
        await c.AssertAbortedAsync(KeepAliveAction.None);
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task TransportThrowsOnWriteAsync(CellState c)
    {
        c.Reader.Start(paused: false);
        for (int i = 0; i < 50; i++) Assert.Equal(SendStatus.Done, await c.SendAsync(0).WaitAsync(Bound));
        await c.Reader.WaitForMessagesAsync(50);
        c.Reader.Pause();
        Task<SendStatus>? blocked = await c.FillUntilFlushHeldBackAsync();
        c.SampleMemory();
        c.Output.WriteLine("write fault: " + c.Pair.WriteFault);
        c.Pair.InjectWriteFault();
        // A send never throws for a failed transport: it returns Closed (the blocked one too).
        if (blocked is not null) await c.AssertBlockedSendFailsAsync(blocked);
        await c.SendUntilClosedAsync();
        // The transport failed: the connection is aborted, and a receive waiting on a peer that says nothing ends.
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        await c.AssertAbortedAsync(KeepAliveAction.None);
        c.Reader.Resume();
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task TransportThrowsOnReadAsync(CellState c)
    {
        c.Reader.Start(paused: false);
        for (int i = 0; i < 50; i++) Assert.Equal(SendStatus.Done, await c.SendAsync(0).WaitAsync(Bound));
        await c.Reader.WaitForMessagesAsync(50);
        c.SampleMemory();
        c.Output.WriteLine("read fault: " + c.Pair.ReadFault);
        c.Pair.InjectReadFault();
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        await c.SendUntilClosedAsync();
        await c.AssertAbortedAsync(KeepAliveAction.None);
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task KeepAliveTimeoutWhileFlushBlockedAsync(CellState c)
    {
        c.Reader.Start(paused: true); // reads nothing, so it never answers the ping either
        Task<SendStatus>? blocked = await c.FillUntilFlushHeldBackAsync();
        c.SampleMemory();
        Assert.Equal(CloseHandshakeState.Open, c.Conn.State);
        c.Time.Advance(KeepAliveInterval); // the ping is due (it waits behind the blocked flush)
        Assert.True(c.Conn.IsAwaitingPong);
        Assert.False(c.Conn.IsAborted);
        c.Time.Advance(KeepAliveTimeout);
        Assert.Equal(KeepAliveAction.PeerUnresponsive, c.Conn.TimedOut);
        if (blocked is not null) Assert.Equal(SendStatus.Closed, await blocked.WaitAsync(Bound));
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        Assert.Equal(SendStatus.Closed, await c.SendAsync(0).WaitAsync(Bound));
        await c.AssertAbortedAsync(KeepAliveAction.PeerUnresponsive);
        c.Reader.Resume();
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task DisposeDuringSendAsync(CellState c)
    {
        c.Reader.Start(paused: false, slow: true);
        using var stop = new CancellationTokenSource();
        Task<SendStatus> sender = c.SendLoopAsync(0, stop.Token);
        while (c.Log.DoneCount < 100)
        {
            Assert.False(sender.IsCompleted, "the sender stopped before the dispose");
            await Task.Delay(1);
        }
        c.SampleMemory();
        await c.Conn.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.True(c.Conn.IsAborted);
        Assert.Equal(SendStatus.Closed, await sender.WaitAsync(Bound)); // the sender loop ends when a send says Closed
        Assert.Equal(SendStatus.Closed, await c.SendAsync(0).WaitAsync(Bound));
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task AbortDuringReceiveAsync(CellState c)
    {
        c.Reader.Start(paused: false);
        await c.Pair.Peer.WriteAsync(Wire.Client(1, "hello"u8)).AsTask().WaitAsync(Bound);
        using var stop = new CancellationTokenSource();
        Task<SendStatus> sender = c.SendLoopAsync(0, stop.Token);
        while (c.Log.DoneCount < 100 || c.ServerMessages < 1)
        {
            Assert.False(sender.IsCompleted, "the sender stopped before the abort");
            Assert.False(c.Receive.IsCompleted, "the receive ended before the abort");
            await Task.Delay(1);
        }
        c.SampleMemory();
        c.Conn.Abort();
        Assert.True(c.Conn.IsAborted);
        ConnectionReceiveResult r = await c.Receive.WaitAsync(Bound);
        Assert.Equal(ConnectionReceiveKind.Aborted, r.Kind);
        Assert.Equal(CloseCodes.AbnormalClosure, r.CloseCode);
        Assert.Equal(SendStatus.Closed, await sender.WaitAsync(Bound));
        Assert.Equal(1, c.ServerMessages);
        await c.AssertAbortedAsync(KeepAliveAction.None);
        await c.FinishAsync(aborted: true, mustDeliverAll: false);
    }

    private static async Task ConcurrentSendersAsync(CellState c)
    {
        const int Senders = 8, PerSender = 100;
        c.Reader.Start(paused: true, answerClose: true);
        bool closing = IsClosingPolicy(c.Policy);
        var senders = new Task<SendStatus>[Senders];
        for (int s = 0; s < Senders; s++)
        {
            int id = s;
            senders[s] = Task.Run(() => c.SendCountAsync(id, PerSender));
        }
        // Paused: the senders are pushed back (blocked, full, or closed by the policy) until the reader resumes.
        await c.WaitUntilStalledAsync(senders);
        Assert.False(senders.All(t => t.IsCompleted) && !closing, "the senders were never pushed back");
        c.SampleMemory();
        c.Reader.Resume();
        SendStatus[] results = await Task.WhenAll(senders).WaitAsync(Bound);
        ushort expectedCode = CloseCodes.NormalClosure;
        if (closing)
        {
            Assert.True(c.Log.SawBufferFull, "the paused reader never pushed the senders to the limit");
            expectedCode = PolicyCode(c.Policy);
        }
        else
        {
            Assert.All(results, r => Assert.Equal(SendStatus.Done, r));
            for (int s = 0; s < Senders; s++) Assert.Equal(PerSender, c.Log.DoneOf(s));
            Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
        }
        await c.AssertClosedAsync(expectedCode);
        await c.FinishAsync(aborted: false, mustDeliverAll: true);
    }

    private static async Task CloseTimeoutExpiringAsync(CellState c)
    {
        ushort expectedCode = CloseCodes.NormalClosure;
        if (c.Policy == BackpressurePolicy.Wait)
        {
            c.Reader.Start(paused: false, answerClose: false);
            for (int i = 0; i < 100; i++) Assert.Equal(SendStatus.Done, await c.SendAsync(0).WaitAsync(Bound));
            c.SampleMemory();
            Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
        }
        else
        {
            // Pushed back to the limit first, so that the close frame waits behind a full buffer.
            c.Reader.Start(paused: true, answerClose: false);
            await c.FillUntilPushedBackAsync(CancellationToken.None);
            c.SampleMemory();
            if (c.Policy == BackpressurePolicy.FailSend) Assert.Equal(SendStatus.Done, await c.Conn.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
            else expectedCode = PolicyCode(c.Policy);
            c.Reader.Resume();
        }
        Assert.Equal(CloseHandshakeState.CloseSent, c.Conn.State);
        Assert.Equal(expectedCode, await c.Reader.CloseFrame.WaitAsync(Bound)); // everything arrived, the close frame last
        Assert.False(c.Receive.IsCompleted);
        c.Time.Advance(CloseTimeout);
        Assert.Equal(KeepAliveAction.CloseTimedOut, c.Conn.TimedOut);
        Assert.Equal(ConnectionReceiveKind.Aborted, (await c.Receive.WaitAsync(Bound)).Kind);
        await c.AssertAbortedAsync(KeepAliveAction.CloseTimedOut);
        // Aborted, but after the peer had read the close frame: every message sent before it arrived.
        await c.FinishAsync(aborted: true, mustDeliverAll: true);
    }

    // ================================================================ one cell's state

    private sealed class CellState : IAsyncDisposable
    {
        private readonly long _baseline;
        private int _serverMessages;

        public CellState(FaultPair pair, BackpressurePolicy policy, FakeTimeProvider time, long baseline, ITestOutputHelper output)
        {
            Pair = pair;
            Policy = policy;
            Time = time;
            _baseline = baseline;
            Output = output;
            Log = new SendLog();
            Reader = new PeerReader(pair.Peer, Log);
            Receive = ReceiveLoopAsync();
        }

        public FaultPair Pair { get; }
        public WebSocketConnection Conn => Pair.Server;
        public BackpressurePolicy Policy { get; }
        public FakeTimeProvider Time { get; }
        public ITestOutputHelper Output { get; }
        public SendLog Log { get; }
        public PeerReader Reader { get; }

        /// <summary>The server application's receive loop: it ends with the first result that is not message data.</summary>
        public Task<ConnectionReceiveResult> Receive { get; }

        /// <summary>Whole messages the server's receive loop got from the peer.</summary>
        public int ServerMessages => Volatile.Read(ref _serverMessages);

        public long PeakMemory { get; private set; }

        private async Task<ConnectionReceiveResult> ReceiveLoopAsync()
        {
            await Task.Yield();
            byte[] buffer = new byte[4096];
            while (true)
            {
                ConnectionReceiveResult r = await Conn.ReceiveAsync(buffer);
                if (r.Kind != ConnectionReceiveKind.MessageData) return r;
                if (r.EndOfMessage) Interlocked.Increment(ref _serverMessages);
            }
        }

        /// <summary>Managed memory now (after a full collection) against the baseline taken before the connection existed.</summary>
        /// <remarks>
        /// The smallest of three readings: what the connection holds is there in all three, while allocations that
        /// happen between a collection and its reading (a sender loop still running, the test host reporting results)
        /// are transient. The baseline includes arrays the pools kept from earlier cells, so the delta is what this cell
        /// holds beyond them; a buffer growing without bound still shows (pools keep a bounded number of arrays).
        /// </remarks>
        public void SampleMemory()
        {
            long least = long.MaxValue;
            for (int i = 0; i < 3; i++) least = Math.Min(least, GC.GetTotalMemory(true));
            long delta = least - _baseline;
            PeakMemory = Math.Max(PeakMemory, delta);
            Assert.True(delta <= Limit + MemorySlack, $"managed memory grew by {delta} bytes, over the limit {Limit} + {MemorySlack}");
        }

        /// <summary>One send of sender <paramref name="sender"/>'s next message (its sequence number advances when the message may be on the wire).</summary>
        public async Task<SendStatus> SendAsync(int sender, CancellationToken cancellationToken = default)
        {
            SendLog.Sender s = Log.Of(sender);
            int seq = s.Next;
            // One buffer per sender (its sends are one at a time, and a send has copied the payload when it returns).
            byte[] message = s.Buffer;
            FillMessage(message, sender, seq);
            try
            {
                SendStatus status = await Conn.SendAsync(message, MessageKind.Binary, true, cancellationToken);
                s.Record(seq, status);
                if (status == SendStatus.BufferFull) Log.SawBufferFull = true;
                return status;
            }
            catch (OperationCanceledException)
            {
                s.RecordUnknown(seq); // written, maybe flushed: it may arrive
                throw;
            }
        }

        /// <summary>Retries the next message until a send returns Done (FailSend after the reader caught up).</summary>
        public async Task SendUntilDoneAsync(int sender)
        {
            var bound = Stopwatch.StartNew();
            while (true)
            {
                SendStatus status = await SendAsync(sender).WaitAsync(Bound);
                if (status == SendStatus.Done) return;
                Assert.Equal(SendStatus.BufferFull, status);
                Assert.True(bound.Elapsed < Bound, "FailSend did not recover after the reader resumed");
                await Task.Delay(1);
            }
        }

        /// <summary>Sends until a send returns Closed (a failed transport is seen by the next send at the latest when its flush fails).</summary>
        public async Task SendUntilClosedAsync()
        {
            var bound = Stopwatch.StartNew();
            while (true)
            {
                SendStatus status = await SendAsync(0).WaitAsync(Bound);
                if (status == SendStatus.Closed) return;
                Assert.True(status is SendStatus.Done or SendStatus.BufferFull, $"unexpected {status}");
                Assert.True(bound.Elapsed < Bound, "sends never reported the failed transport");
                await Task.Delay(1);
            }
        }

        /// <summary>A sender that goes on until a send returns Closed (BufferFull: yield and retry).</summary>
        public async Task<SendStatus> SendLoopAsync(int sender, CancellationToken cancellationToken)
        {
            await Task.Yield();
            while (true)
            {
                SendStatus status = await SendAsync(sender, cancellationToken);
                if (status == SendStatus.Closed) return status;
                if (status == SendStatus.BufferFull) await Task.Delay(1, cancellationToken);
            }
        }

        /// <summary>Sends <paramref name="count"/> messages (FailSend retries BufferFull; the closing policies stop at it; Closed stops).</summary>
        public async Task<SendStatus> SendCountAsync(int sender, int count)
        {
            SendLog.Sender s = Log.Of(sender);
            while (s.DoneCount < count)
            {
                SendStatus status = await SendAsync(sender);
                if (status == SendStatus.Closed) return status;
                if (status == SendStatus.BufferFull)
                {
                    if (IsClosingPolicy(Policy)) return status;
                    await Task.Delay(1);
                }
            }
            return SendStatus.Done;
        }

        /// <summary>Waits until no sender has made progress for 100 ms (or all finished).</summary>
        public async Task WaitUntilStalledAsync(Task<SendStatus>[] senders)
        {
            var bound = Stopwatch.StartNew();
            int last = -1, quiet = 0;
            while (quiet < 5 && !senders.All(t => t.IsCompleted))
            {
                await Task.Delay(20);
                int now = Log.DoneCount;
                quiet = now == last ? quiet + 1 : 0;
                last = now;
                Assert.True(bound.Elapsed < Bound, "the senders never stalled against the paused reader");
            }
            foreach (Task<SendStatus> t in senders.Where(t => t.IsFaulted)) await t; // surface a sender's exception
        }

        /// <summary>
        /// Sends (the reader is paused) until the connection pushes back: Wait: a send that does not complete (returned,
        /// still pending); the other policies: BufferFull, after which FailSend waits for the transport to settle and
        /// fills again (the closing policies have started their close by then).
        /// </summary>
        public async Task<Task<SendStatus>?> FillUntilPushedBackAsync(CancellationToken cancellationToken)
        {
            if (Policy == BackpressurePolicy.Wait) return await FillUntilBlockedAsync(cancellationToken);
            for (int round = 0; round < (Policy == BackpressurePolicy.FailSend ? 2 : 1); round++)
            {
                for (int i = 0; ; i++)
                {
                    Assert.True(i < 100_000, "never pushed back");
                    // Never waits for the paused peer (it may wait a moment for the send lock, which the drain loop
                    // takes on another thread to move the overflow into the transport).
                    Task<SendStatus> send = SendAsync(0);
                    if (!send.IsCompleted) Assert.True(await Task.WhenAny(send, Task.Delay(2000)) == send, "a send with a non-waiting policy waited for the paused peer");
                    SendStatus status = await send;
                    if (status == SendStatus.BufferFull) break;
                    Assert.Equal(SendStatus.Done, status);
                }
                if (round == 0 && Policy == BackpressurePolicy.FailSend) await Task.Delay(50);
            }
            if (IsClosingPolicy(Policy))
            {
                Assert.Equal(CloseHandshakeState.CloseSent, Conn.State);
                Assert.Equal(SendStatus.Closed, await SendAsync(0));
            }
            else
            {
                Assert.Equal(CloseHandshakeState.Open, Conn.State);
                for (int i = 0; i < 100; i++) Assert.Equal(SendStatus.BufferFull, await SendAsync(0));
            }
            return null;
        }

        private async Task<Task<SendStatus>> FillUntilBlockedAsync(CancellationToken cancellationToken)
        {
            for (int i = 0; ; i++)
            {
                Assert.True(i < 100_000, "the Wait policy never blocked the sender");
                Task<SendStatus> send = SendAsync(0, cancellationToken);
                // Blocked: still pending after 100 ms, and again after 400 ms more (on a loaded machine a slow flush can
                // take 100 ms; one that completes later was not held back by the paused reader).
                if (!send.IsCompleted && await Task.WhenAny(send, Task.Delay(100)) != send && await Task.WhenAny(send, Task.Delay(400)) != send) return send;
                Assert.Equal(SendStatus.Done, await send);
            }
        }

        /// <summary>
        /// Sends (the reader is paused) until a flush is held back, without reaching the limit: Wait returns the blocked
        /// send; the other policies stop once the connection has stayed backpressured for 50 ms.
        /// </summary>
        public async Task<Task<SendStatus>?> FillUntilFlushHeldBackAsync()
        {
            if (Policy == BackpressurePolicy.Wait) return await FillUntilBlockedAsync(CancellationToken.None);
            for (int i = 0; ; i++)
            {
                Assert.True(i < 100_000, "the transport never held a flush back");
                Assert.Equal(SendStatus.Done, await SendAsync(0));
                if (Conn.IsBackpressured)
                {
                    await Task.Delay(50);
                    if (Conn.IsBackpressured) return null;
                }
            }
        }

        /// <summary>
        /// A send blocked in a flush of a transport that then fails returns Closed. Not over Kestrel's HTTP upgrade
        /// stream: its WriteAsync completes without an error once the connection is gone (Kestrel reports that through
        /// HttpContext.RequestAborted and the read side, not to the writer), so no send can learn that its message was
        /// lost; there the blocked send may return Done, and the cell still asserts that the connection ends aborted
        /// (the receive sees the failure) and that later sends return Closed.
        /// </summary>
        public async Task AssertBlockedSendFailsAsync(Task<SendStatus> blocked)
        {
            SendStatus status = await blocked.WaitAsync(Bound);
            if (Pair.Kind == TransportKind.KestrelUpgrade) Assert.Contains(status, new[] { SendStatus.Done, SendStatus.Closed });
            else Assert.Equal(SendStatus.Closed, status);
        }

        /// <summary>The closing handshake completes: the server's receive sees the peer's close, and the peer saw <paramref name="code"/>.</summary>
        public async Task AssertClosedAsync(ushort code)
        {
            Assert.Equal(code, await Reader.CloseFrame.WaitAsync(Bound));
            ConnectionReceiveResult r = await Receive.WaitAsync(Bound);
            Assert.Equal(ConnectionReceiveKind.Close, r.Kind);
            Assert.Equal(code, r.CloseCode); // the peer echoes the code
            Assert.Equal(CloseHandshakeState.Closed, Conn.State);
            Assert.False(Conn.IsAborted);
            Assert.Equal(KeepAliveAction.None, Conn.TimedOut);
        }

        public async Task AssertAbortedAsync(KeepAliveAction why)
        {
            var bound = Stopwatch.StartNew();
            while (!Conn.IsAborted && bound.Elapsed < Bound) await Task.Delay(1);
            Assert.True(Conn.IsAborted, $"the connection is not aborted (state {Conn.State})");
            Assert.Equal(why, Conn.TimedOut);
            Assert.Equal(SendStatus.Closed, await SendAsync(0).WaitAsync(Bound));
        }

        /// <summary>
        /// The application lets go (disposes the connection, its host ends the transport); the peer reads to the end;
        /// then what arrived is checked against what was sent.
        /// </summary>
        public async Task FinishAsync(bool aborted, bool mustDeliverAll)
        {
            CloseHandshakeState state = Conn.State;
            await Conn.DisposeAsync().AsTask().WaitAsync(Bound);
            await Pair.ReleaseHostAsync().AsTask().WaitAsync(Bound);
            Reader.Resume();
            await Reader.Completion.WaitAsync(Bound);
            Assert.NotEqual(ConnectionReceiveKind.MessageData, (await Receive.WaitAsync(Bound)).Kind);
            Reader.AssertDelivery(mustDeliverAll, allowTruncated: aborted, state);
        }

        public async ValueTask DisposeAsync()
        {
            await Pair.DisposeAsync();
            Reader.Resume();
            try { await Reader.Completion.WaitAsync(Bound); } catch (Exception) { }
            try { await Receive.WaitAsync(Bound); } catch (Exception) { }
        }
    }

    /// <summary>Message payload: sender (4 bytes), sequence number (4 bytes), then a pattern of both.</summary>
    internal static void FillMessage(byte[] m, int sender, int seq)
    {
        BinaryPrimitives.WriteInt32BigEndian(m, sender);
        BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(4), seq);
        for (int i = 8; i < m.Length; i++) m[i] = Pattern(sender, seq, i);
    }

    private static byte Pattern(int sender, int seq, int i) => (byte)(sender * 31 + seq * 7 + i);

    /// <summary>What each sender sent: the sequence numbers whose send returned Done, and those whose outcome is unknown (cancelled).</summary>
    internal sealed class SendLog
    {
        private readonly Sender[] _senders = Enumerable.Range(0, 8).Select(_ => new Sender()).ToArray();

        public volatile bool SawBufferFull;

        public Sender Of(int sender) => _senders[sender];

        public int DoneCount => _senders.Sum(s => s.DoneCount);

        public int DoneOf(int sender) => _senders[sender].DoneCount;

        public sealed class Sender
        {
            private readonly Lock _lock = new();
            private readonly List<int> _done = new();
            private readonly HashSet<int> _unknown = new();
            private int _next;

            public byte[] Buffer { get; } = new byte[MessageSize];

            public int Next { get { lock (_lock) return _next; } }

            public int DoneCount { get { lock (_lock) return _done.Count; } }

            public void Record(int seq, SendStatus status)
            {
                lock (_lock)
                {
                    Assert.Equal(_next, seq); // one send at a time per sender
                    if (status == SendStatus.Done) _done.Add(seq);
                    // Closed: nothing was written, or the frame was handed to a transport that then failed (or whose
                    // flush an abort cancelled): it may arrive.
                    else if (status == SendStatus.Closed) _unknown.Add(seq);
                    else return; // BufferFull: nothing was written, the number is reused
                    _next = seq + 1;
                }
            }

            public void RecordUnknown(int seq)
            {
                lock (_lock)
                {
                    _unknown.Add(seq);
                    _next = seq + 1;
                }
            }

            public (List<int> done, HashSet<int> unknown) Snapshot()
            {
                lock (_lock) return (new List<int>(_done), new HashSet<int>(_unknown));
            }
        }
    }

    /// <summary>
    /// The peer's reading side: parses the server's frames as they arrive, checks every data frame's payload, answers
    /// the close when told to, and can be paused (nothing is read; the kernel and the transport fill up) or slow.
    /// </summary>
    internal sealed class PeerReader(Peer peer, SendLog log)
    {
        private readonly Lock _lock = new();
        private readonly List<(int sender, int seq)> _received = new();
        private readonly TaskCompletionSource<ushort> _close = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _paused;
        private bool _answerClose;
        private bool _slow;
        private string? _corrupt;
        private int _truncated;
        private Task _loop = Task.CompletedTask;

        public Task Completion => _loop;

        /// <summary>The code of the server's close frame, once it arrived.</summary>
        public Task<ushort> CloseFrame => _close.Task;

        public int MessageCount { get { lock (_lock) return _received.Count; } }

        public void Start(bool paused, bool answerClose = false, bool slow = false)
        {
            _paused = paused;
            _answerClose = answerClose;
            _slow = slow;
            if (!paused) _resume.TrySetResult();
            _loop = Task.Run(LoopAsync);
        }

        public void Pause()
        {
            lock (_lock)
            {
                if (_paused) return;
                _paused = true;
                _resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Resume()
        {
            lock (_lock)
            {
                _paused = false;
                _resume.TrySetResult();
            }
        }

        public async Task WaitForMessagesAsync(int count)
        {
            var bound = Stopwatch.StartNew();
            while (MessageCount < count)
            {
                Assert.True(bound.Elapsed < Bound, $"the peer read {MessageCount} of {count} messages");
                Assert.False(_loop.IsCompleted, "the peer's reading ended");
                await Task.Delay(1);
            }
        }

        private async Task LoopAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            int start = 0, end = 0;
            bool closeSeen = false;
            try
            {
                while (true)
                {
                    Task resume;
                    lock (_lock) resume = _resume.Task;
                    await resume.ConfigureAwait(false);
                    if (start > 0 && (buffer.Length - end) < 16 * 1024)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    int chunk = _slow ? 2048 : buffer.Length - end;
                    int n = await peer.ReadAsync(buffer.AsMemory(end, Math.Min(chunk, buffer.Length - end))).ConfigureAwait(false);
                    if (n == 0) break;
                    end += n;
                    while (true)
                    {
                        OperationStatus s = FrameHeader.TryRead(buffer.AsSpan(start, end - start), out FrameHeader h, out int headerLength);
                        if (s == OperationStatus.NeedMoreData) break;
                        if (s != OperationStatus.Done) { Corrupt($"invalid frame header ({s})"); return; }
                        if (h.PayloadLength > 16 * 1024) { Corrupt($"a frame of {h.PayloadLength} bytes"); return; }
                        if (end - start < headerLength + h.PayloadLength) break;
                        ReadOnlySpan<byte> payload = buffer.AsSpan(start + headerLength, (int)h.PayloadLength);
                        start += headerLength + (int)h.PayloadLength;
                        if (closeSeen) { Corrupt($"a {h.Opcode} frame after the close frame"); return; }
                        if (h.IsMasked || !h.Fin || h.ReservedBits != 0) { Corrupt("a masked, fragmented or reserved-bit frame"); return; }
                        switch (h.Opcode)
                        {
                            case WebSocketOpcode.Binary:
                                if (!CheckMessage(payload)) return;
                                break;
                            case WebSocketOpcode.Ping:
                                break; // keep-alive (never answered: the cell that pings wants an unresponsive peer)
                            case WebSocketOpcode.Close:
                                closeSeen = true;
                                ushort code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : CloseCodes.NoStatusReceived;
                                _close.TrySetResult(code);
                                if (_answerClose) await peer.WriteAsync(Wire.Client(8, Wire.ClosePayload(code))).ConfigureAwait(false);
                                break;
                            default:
                                Corrupt($"an unexpected {h.Opcode} frame");
                                return;
                        }
                    }
                    if (_slow) await Task.Delay(1).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // Reset: the end of the stream.
            }
            finally
            {
                lock (_lock) _truncated = end - start;
                _close.TrySetException(new InvalidOperationException("the stream ended without a close frame"));
                _ = _close.Task.Exception; // observed
                peer.CloseOutput(); // like any client: the server closed, so do we
            }
        }

        private void Corrupt(string what)
        {
            lock (_lock) _corrupt ??= what;
        }

        private bool CheckMessage(ReadOnlySpan<byte> payload)
        {
            if (payload.Length != MessageSize) { Corrupt($"a message of {payload.Length} bytes"); return false; }
            int sender = BinaryPrimitives.ReadInt32BigEndian(payload);
            int seq = BinaryPrimitives.ReadInt32BigEndian(payload.Slice(4));
            if (sender is < 0 or >= 8) { Corrupt($"sender {sender}"); return false; }
            for (int i = 8; i < payload.Length; i++)
            {
                if (payload[i] != Pattern(sender, seq, i)) { Corrupt($"message {sender}/{seq} is damaged at byte {i}"); return false; }
            }
            lock (_lock) _received.Add((sender, seq));
            return true;
        }

        /// <summary>
        /// Every frame was well-formed; per sender the messages arrived in sending order, once each, and only sent ones;
        /// no message sent before one that arrived is missing; with <paramref name="mustDeliverAll"/> every Done one arrived.
        /// </summary>
        public void AssertDelivery(bool mustDeliverAll, bool allowTruncated, CloseHandshakeState state)
        {
            lock (_lock)
            {
                Assert.True(_corrupt is null, $"the peer got a bad frame: {_corrupt}");
                if (!allowTruncated) Assert.True(_truncated == 0, $"the stream ended inside a frame ({_truncated} bytes left), state {state}");
                for (int sender = 0; sender < 8; sender++)
                {
                    var (done, unknown) = log.Of(sender).Snapshot();
                    List<int> got = _received.Where(m => m.sender == sender).Select(m => m.seq).ToList();
                    for (int i = 1; i < got.Count; i++) Assert.True(got[i] > got[i - 1], $"sender {sender}: {got[i]} after {got[i - 1]}");
                    var doneSet = new HashSet<int>(done);
                    foreach (int seq in got) Assert.True(doneSet.Contains(seq) || unknown.Contains(seq), $"sender {sender}: message {seq} arrived but was never sent");
                    var gotSet = new HashSet<int>(got);
                    int last = got.Count == 0 ? -1 : got[^1];
                    foreach (int seq in done)
                    {
                        if (mustDeliverAll || seq < last) Assert.True(gotSet.Contains(seq), $"sender {sender}: message {seq} was sent (Done) but did not arrive ({got.Count} of {done.Count} arrived, last {last})");
                    }
                }
            }
        }
    }
}
