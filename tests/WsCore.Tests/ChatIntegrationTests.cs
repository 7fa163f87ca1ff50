using WsCore.Framing;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using WsCore.Closing;
using WsCore.Handshake;
using WsCore.Pipelines;
using WsCore.Protocol;
using Xunit.Abstractions;

namespace WsCore.Tests;

/// <summary>The chat servers of the integration test.</summary>
public enum ChatHost
{
    /// <summary><see cref="SocketWebSockets.RunServerAsync"/>.</summary>
    SocketWebSockets,
    /// <summary>ASP.NET Core: <see cref="IHttpUpgradeFeature"/> stream, <c>PipeReader.Create</c>/<c>PipeWriter.Create</c> (as Autobahn's KestrelHost).</summary>
    KestrelUpgrade,
    /// <summary>Kestrel connection handler: WsCore reads the upgrade itself from Kestrel's transport pipes.</summary>
    KestrelConnection,
}

[CollectionDefinition("Chat", DisableParallelization = true)]
public sealed class ChatCollection
{
}

/// <summary>
/// Issue 11's chat scenario: a broadcast chat server (every message received is sent to every connected client) with
/// <see cref="HealthyClients"/> clients that read and one that stops reading right after connecting, each healthy client
/// sending <see cref="MessagesPerClient"/> messages of 64 KiB, <see cref="WebSocketConnectionOptions.MaxBufferedOutboundBytes"/>
/// 8 MiB, over every host and policy. Healthy clients are paced: each sends its next message once every healthy client
/// has received its previous one, so at most one message per sender is in flight to any healthy client (640 KiB, far
/// below the limit) and a healthy client never legitimately reaches the limit; a send to one that the policy refuses
/// fails the run at once. (Pacing each sender on its own echo alone does not bound that: a healthy client that reads
/// more slowly than the others, as on a loaded machine, falls behind without bound and is then rightly over the limit.) The counts are the (10 + 1 clients × 100 × 64 KiB: 64 MB
/// to each healthy client, about 2-4 s a run here).
/// <para>What a user expects, per policy:</para>
/// <list type="bullet">
/// <item>FailSend: the paused client's sends return BufferFull once it is 8 MiB behind; the server drops it from the
/// room (the README's broadcast loop) and nobody else is affected. Its connection stays open, and what it was sent
/// before arrives whole and in order when it reads again.</item>
/// <item>CloseWith1013/1009: the same, and the paused client's connection is closed with 1013/1009 (it sees the code
/// after the backlog when it reads again).</item>
/// <item>Wait: a plain broadcast loop would stop at the paused client for good (the README says so). What a user
/// does instead is bound each recipient's send with a token (<see cref="WaitSendTimeout"/>): a send that times out
/// drops that client and closes it with 1013. Healthy clients are delayed once by the timeout, and get everything.</item>
/// </list>
/// Every run also asserts that no exception reached <see cref="AppDomain.UnhandledException"/> or
/// <see cref="TaskScheduler.UnobservedTaskException"/> (after forced collections).
/// </summary>
[Collection("Chat")]
public sealed class ChatIntegrationTests(ITestOutputHelper output)
{
    private const int HealthyClients = 10;
    private const int MessagesPerClient = 100;
    private const int MessageSize = 64 * 1024;
    private const int PausedId = HealthyClients; // the client that stops reading
    private const long Limit = 8 * 1024 * 1024;
    private static readonly TimeSpan WaitSendTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static IEnumerable<object[]> Runs()
    {
        foreach (ChatHost host in Enum.GetValues<ChatHost>())
            foreach (BackpressurePolicy policy in Enum.GetValues<BackpressurePolicy>())
                yield return [host, policy];
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Broadcast_chat_with_one_paused_client(ChatHost host, BackpressurePolicy policy)
    {
        // With CHAT_STALL_DUMP set, a run that takes over 45 s leaves a dump of this process (see DumpOnStall).
        using var watchdog = new CancellationTokenSource();
        _ = Task.Delay(TimeSpan.FromSeconds(45), watchdog.Token).ContinueWith(t => { if (!t.IsCanceled) DumpOnStall(); }, TaskScheduler.Default);
        try
        {
            await RunChatAsync(host, policy);
        }
        finally
        {
            watchdog.Cancel();
        }
    }

    /// <summary>Investigation aid: with CHAT_STALL_DUMP set to a directory, a stall writes a full dump of this process there (dotnet-dump).</summary>
    private static void DumpOnStall()
    {
        string? dir = Environment.GetEnvironmentVariable("CHAT_STALL_DUMP");
        if (string.IsNullOrEmpty(dir)) return;
        string path = Path.Combine(dir, $"chat-{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}.dmp");
        using Process? p = Process.Start("dotnet-dump", ["collect", "-p", Environment.ProcessId.ToString(), "-o", path]);
        p?.WaitForExit(120_000);
    }

    private async Task RunChatAsync(ChatHost host, BackpressurePolicy policy)
    {
        ExceptionWatch.Install();
        ExceptionWatch.AssertNone("before the chat");
        var watch = Stopwatch.StartNew();
        var options = new WebSocketConnectionOptions
        {
            BackpressurePolicy = policy,
            MaxBufferedOutboundBytes = Limit,
            CloseTimeout = TimeSpan.FromSeconds(30), // long enough for the paused client to read its close frame at the end
        };
        var room = new ChatRoom(policy);
        var delivered = new Deliveries();
        using var abandon = new CancellationTokenSource(); // ends every task of a failed run, so that none is left unobserved
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (ChatServer server = await ChatServer.StartAsync(host, room, options))
        {
            // The paused client connects first and never reads (until the end).
            await using ChatClient paused = await ChatClient.ConnectAsync(server.Port, PausedId, failed, delivered, abandon.Token);
            await room.WaitForMembersAsync(1);
            var clients = new ChatClient[HealthyClients];
            for (int i = 0; i < HealthyClients; i++) clients[i] = await ChatClient.ConnectAsync(server.Port, i, failed, delivered, abandon.Token);
            Task[] sending = [];
            try
            {
                await room.WaitForMembersAsync(HealthyClients + 1);
                foreach (ChatClient c in clients) c.StartReading(HealthyClients * MessagesPerClient);
                sending = clients.Select(c => Task.Run(() => c.SendPacedAsync(MessagesPerClient))).ToArray();
                string Describe() => DescribeRun(room, clients, paused);
                Task failure = Task.WhenAny(failed.Task, room.HealthyDropped).Unwrap();
                await FailFast(Task.WhenAll(sending), failure, Describe);
                await FailFast(Task.WhenAll(clients.Select(c => c.AllReceived)), failure, Describe);
                output.WriteLine($"{host}/{policy}: all {HealthyClients}x{MessagesPerClient} messages at every healthy client after {watch.ElapsedMilliseconds} ms");

                // Only the paused client was affected (every send to anyone else returned Done).
                Assert.Equal(new[] { PausedId }, room.Refused.Keys.Order().ToArray());
                string[] why = room.Refused[PausedId].Distinct().Order().ToArray();
                string[] expectedWhy = policy switch
                {
                    // A send racing the drop's close (another member's broadcast) sees Closed.
                    BackpressurePolicy.Wait => why.Length == 1 ? ["send timed out"] : [nameof(SendStatus.Closed), "send timed out"],
                    BackpressurePolicy.FailSend => [nameof(SendStatus.BufferFull)],
                    // The first send over the limit closes; a send racing it (another member's broadcast) sees Closed.
                    _ => why.Length == 1 ? [nameof(SendStatus.BufferFull)] : [nameof(SendStatus.BufferFull), nameof(SendStatus.Closed)],
                };
                Assert.Equal(expectedWhy, why);
                foreach (ChatClient c in clients)
                {
                    Assert.Null(c.Failure);
                    Assert.Equal(CloseHandshakeState.Open, c.Connection.State);
                    for (int s = 0; s < HealthyClients; s++) Assert.Equal(MessagesPerClient, c.ReceivedFrom(s));
                }
                WebSocketConnection pausedOnServer = room.ServerSide(PausedId);
                if (policy == BackpressurePolicy.FailSend) Assert.Equal(CloseHandshakeState.Open, pausedOnServer.State);
                else Assert.Equal(CloseHandshakeState.CloseSent, pausedOnServer.State);

                // The paused client reads again: the backlog arrives whole and in per-sender order, then (closing
                // policies, and Wait's drop) the close frame with its code.
                ushort? expectedCode = policy switch
                {
                    BackpressurePolicy.CloseWith1013 or BackpressurePolicy.Wait => CloseCodes.TryAgainLater,
                    BackpressurePolicy.CloseWith1009 => CloseCodes.MessageTooBig,
                    _ => null,
                };
                paused.StartReading(int.MaxValue);
                if (expectedCode is ushort code)
                {
                    ConnectionReceiveResult last = await paused.Ended.WaitAsync(Bound);
                    Assert.Equal(ConnectionReceiveKind.Close, last.Kind);
                    Assert.Equal(code, last.CloseCode);
                }
                else
                {
                    await paused.WaitUntilQuietAsync();
                    Assert.False(paused.Ended.IsCompleted);
                }
                Assert.Null(paused.Failure);
                output.WriteLine($"the paused client read {paused.TotalReceived} messages of its backlog");
                Assert.True(paused.TotalReceived < HealthyClients * MessagesPerClient, "the paused client was never pushed back");

                // Everyone leaves.
                foreach (ChatClient c in clients) Assert.Equal(SendStatus.Done, await c.Connection.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound));
                foreach (ChatClient c in clients) Assert.Equal(ConnectionReceiveKind.Close, (await c.Ended.WaitAsync(Bound)).Kind);
                if (expectedCode is null) await paused.Connection.CloseOutputAsync(CloseCodes.NormalClosure).AsTask().WaitAsync(Bound);
                await room.WaitForMembersAsync(0, handlersDone: true);
            }
            finally
            {
                abandon.Cancel();
                _ = failed.Task.Exception; // a failure is reported by the assertions below or above, never left unobserved
                _ = room.HealthyDropped.Exception;
                foreach (ChatClient? c in clients) if (c is not null) await c.DisposeAsync();
                try { await Task.WhenAll(sending).WaitAsync(Bound); } catch (Exception) { } // a failed run's senders: observed
            }
        }
        Assert.False(failed.Task.IsFaulted, failed.Task.Exception?.ToString());
        Assert.False(room.HealthyDropped.IsFaulted, room.HealthyDropped.Exception?.ToString());
        Assert.Empty(room.HandlerErrors);
        ExceptionWatch.AssertNone($"{host}/{policy}");
        output.WriteLine($"{host}/{policy}: {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>Waits for <paramref name="task"/>, failing at once with a client's failure (damage, order) instead of timing out.</summary>
    private static async Task FailFast(Task task, Task failed, Func<string> describe)
    {
        Task first;
        try
        {
            first = await Task.WhenAny(task, failed).WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            // (A dump, if asked for, was taken by the run's watchdog at 45 s, while the stall was still there.)
            throw new TimeoutException($"no progress within {Bound.TotalSeconds} s: {describe()}");
        }
        await first; // throws the client's failure
        await task;
    }

    /// <summary>Where every connection stands, for a run that stopped making progress.</summary>
    private static string DescribeRun(ChatRoom room, ChatClient[] clients, ChatClient paused)
    {
        var b = new System.Text.StringBuilder();
        foreach (ChatClient? c in clients.Append(paused))
        {
            if (c is null) continue;
            b.Append($"\n  client {c.Id}: received {c.TotalReceived}, {Describe(c.Connection)}, reading {c.ReadingState}");
            if (room.TryGetServerSide(c.Id, out WebSocketConnection? s)) b.Append($"; server side: {Describe(s)}, member {room.IsMember(c.Id)}");
        }
        return b.ToString();
    }

    private static string Describe(WebSocketConnection c) =>
        $"{c.State} aborted={c.IsAborted} peerClose={c.PeerCloseCode} violation={c.Violation} timedOut={c.TimedOut}";

    /// <summary>Payload: sender, sequence number, then one byte derived from both (checked with a vectorized search).</summary>
    private static void Fill(byte[] message, int sender, int seq)
    {
        BinaryPrimitives.WriteInt32BigEndian(message, sender);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), seq);
        message.AsSpan(8).Fill(Pattern(sender, seq));
    }

    private static byte Pattern(int sender, int seq) => (byte)(sender * 31 + seq * 7 + 1);

    // ================================================================ the server

    /// <summary>The chat: every connected member gets every message; a member the policy says is too slow is dropped.</summary>
    private sealed class ChatRoom(BackpressurePolicy policy)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<int, WebSocketConnection> _members = new();
        private readonly Dictionary<int, WebSocketConnection> _everyone = new();
        private readonly List<Task> _closing = new();
        private int _handlers;

        /// <summary>Every status other than Done a send to a member returned (or "send timed out"), per member.</summary>
        public ConcurrentDictionary<int, ConcurrentQueue<string>> Refused { get; } = new();
        public ConcurrentQueue<string> HandlerErrors { get; } = new();
        private readonly TaskCompletionSource _healthyDropped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Faults when the policy refused a send to a healthy client (which the pacing keeps far below the limit).</summary>
        public Task HealthyDropped => _healthyDropped.Task;

        public WebSocketConnection ServerSide(int id) { lock (_lock) return _everyone[id]; }
        public bool TryGetServerSide(int id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WebSocketConnection? c) { lock (_lock) return _everyone.TryGetValue(id, out c); }
        public bool IsMember(int id) { lock (_lock) return _members.ContainsKey(id); }

        public async Task WaitForMembersAsync(int count, bool handlersDone = false)
        {
            var bound = Stopwatch.StartNew();
            while (true)
            {
                lock (_lock)
                {
                    if (handlersDone ? Volatile.Read(ref _handlers) == 0 : _members.Count == count) break;
                }
                Assert.True(bound.Elapsed < Bound, $"members: {_members.Count}, handlers {_handlers}");
                await Task.Delay(5);
            }
            Task[] closing;
            lock (_lock) closing = _closing.ToArray();
            if (handlersDone) await Task.WhenAll(closing).WaitAsync(Bound);
        }

        /// <summary>One member's connection: receive whole messages and broadcast each; leave on close.</summary>
        public async Task RunMemberAsync(WebSocketConnection connection, string target)
        {
            Interlocked.Increment(ref _handlers);
            int id = int.Parse(target.AsSpan(target.LastIndexOf('/') + 1));
            lock (_lock)
            {
                _members[id] = connection;
                _everyone[id] = connection;
            }
            byte[] message = new byte[MessageSize];
            try
            {
                int length = 0;
                while (true)
                {
                    ConnectionReceiveResult r = await connection.ReceiveAsync(message.AsMemory(length));
                    if (r.Kind != ConnectionReceiveKind.MessageData) break;
                    length += r.Count;
                    if (!r.EndOfMessage) continue;
                    await BroadcastAsync(message.AsMemory(0, length));
                    length = 0;
                }
            }
            catch (Exception e)
            {
                HandlerErrors.Enqueue($"member {id}: {e}");
            }
            finally
            {
                lock (_lock) _members.Remove(id);
                Interlocked.Decrement(ref _handlers);
            }
        }

        private async Task BroadcastAsync(ReadOnlyMemory<byte> message)
        {
            KeyValuePair<int, WebSocketConnection>[] members;
            lock (_lock) members = _members.ToArray();
            foreach ((int id, WebSocketConnection member) in members)
            {
                if (policy == BackpressurePolicy.Wait)
                {
                    using var timeout = new CancellationTokenSource(WaitSendTimeout);
                    try
                    {
                        SendStatus status = await member.SendAsync(message, MessageKind.Binary, true, timeout.Token);
                        if (status != SendStatus.Done) Drop(id, member, status.ToString());
                    }
                    catch (OperationCanceledException)
                    {
                        Drop(id, member, "send timed out");
                    }
                }
                else
                {
                    SendStatus status = await member.SendAsync(message, MessageKind.Binary);
                    if (status != SendStatus.Done) Drop(id, member, status.ToString());
                }
            }
        }

        private void Drop(int id, WebSocketConnection member, string why)
        {
            Refused.GetOrAdd(id, _ => new ConcurrentQueue<string>()).Enqueue(why);
            if (id != PausedId)
            {
                _healthyDropped.TrySetException(new InvalidOperationException($"a send to healthy client {id} was refused: {why}"));
                _ = _healthyDropped.Task.Exception; // observed: the run fails through HealthyDropped
            }
            lock (_lock)
            {
                if (!_members.Remove(id)) return;
                // Wait: the application closes the client it gave up on (the closing policies have done so already).
                if (policy == BackpressurePolicy.Wait) _closing.Add(member.CloseOutputAsync(CloseCodes.TryAgainLater).AsTask());
            }
        }
    }

    /// <summary>The chat room behind one of the three hosts.</summary>
    private sealed class ChatServer : IAsyncDisposable
    {
        private readonly Func<ValueTask> _stop;

        private ChatServer(int port, Func<ValueTask> stop)
        {
            Port = port;
            _stop = stop;
        }

        public int Port { get; }

        public static async Task<ChatServer> StartAsync(ChatHost host, ChatRoom room, WebSocketConnectionOptions options)
        {
            switch (host)
            {
                case ChatHost.SocketWebSockets:
                {
                    var stop = new CancellationTokenSource();
                    var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Task server = SocketWebSockets.RunServerAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, request) => room.RunMemberAsync(c, request.Target),
                        new WebSocketServerOptions { Connection = options }, listening.SetResult, stop.Token);
                    IPEndPoint endpoint = await listening.Task.WaitAsync(Bound);
                    return new ChatServer(endpoint.Port, async () =>
                    {
                        stop.Cancel();
                        await server.WaitAsync(Bound);
                        stop.Dispose();
                    });
                }
                case ChatHost.KestrelConnection:
                {
                    KestrelTestServer kestrel = await KestrelTestServer.StartConnectionHandlerAsync(async context =>
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        ServerHandshakeResult handshake = await PipeHandshake.AcceptAsync(context.Transport,
                            perMessageDeflate: options.Protocol.PerMessageDeflate, cancellationToken: timeout.Token);
                        if (!handshake.IsAccepted) return;
                        await using var connection = new WebSocketConnection(context.Transport, WebSocketRole.Server, options, handshake.PerMessageDeflate);
                        await room.RunMemberAsync(connection, handshake.Request!.Target);
                    }, smallSocketBuffers: false);
                    return new ChatServer(kestrel.Port, kestrel.DisposeAsync);
                }
                case ChatHost.KestrelUpgrade:
                {
                    KestrelTestServer kestrel = await KestrelTestServer.StartHttpAsync(context => UpgradeAsync(context, room, options), smallSocketBuffers: false);
                    return new ChatServer(kestrel.Port, kestrel.DisposeAsync);
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(host));
            }
        }

        /// <summary>As Autobahn's KestrelHost: ASP.NET Core parsed the request; WsCore validates it and takes the upgraded stream.</summary>
        private static async Task UpgradeAsync(HttpContext context, ChatRoom room, WebSocketConnectionOptions options)
        {
            HttpRequest r = context.Request;
            IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
            var fields = new UpgradeRequestFields
            {
                Method = r.Method,
                Protocol = r.Protocol,
                Target = r.Path.ToUriComponent() + r.QueryString.ToUriComponent(),
                Host = r.Headers.Host.ToString(),
                Upgrade = r.Headers.Upgrade.ToString(),
                Connection = r.Headers.Connection.ToString(),
                SecWebSocketKey = r.Headers.SecWebSocketKey.ToString(),
                SecWebSocketVersion = r.Headers.SecWebSocketVersion.ToString(),
                SecWebSocketExtensions = r.Headers.SecWebSocketExtensions.Count == 0 ? null : r.Headers.SecWebSocketExtensions.ToString(),
            };
            HandshakeRequestError error = ServerHandshake.Validate(fields, out HandshakeRequest? request);
            if (error != HandshakeRequestError.None || request is null || upgrade is null || !upgrade.IsUpgradableRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            ServerHandshakeResponse answer = ServerHandshake.CreateResponse(request, ServerHandshakeDecision.Accept(), options.Protocol.PerMessageDeflate);
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.SecWebSocketAccept = answer.Accept;
            if (answer.Extensions is not null) context.Response.Headers.SecWebSocketExtensions = answer.Extensions;
            Stream stream = await upgrade.UpgradeAsync();
            var transport = new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
            await using (var connection = new WebSocketConnection(transport, WebSocketRole.Server, options, answer.PerMessageDeflate))
            {
                await room.RunMemberAsync(connection, request.Target);
            }
            await transport.Output.CompleteAsync();
            await transport.Input.CompleteAsync();
        }

        public async ValueTask DisposeAsync() => await _stop();
    }

    // ================================================================ the clients

    /// <summary>How many healthy clients have received each sender's messages: a sender sends its next message once all have its last.</summary>
    private sealed class Deliveries
    {
        private readonly int[] _count = new int[HealthyClients];
        private readonly SemaphoreSlim[] _everyoneHasIt = Enumerable.Range(0, HealthyClients).Select(_ => new SemaphoreSlim(0)).ToArray();

        /// <summary>A healthy client received a message from <paramref name="sender"/>.</summary>
        public void Received(int sender)
        {
            if (Interlocked.Increment(ref _count[sender]) % HealthyClients == 0) _everyoneHasIt[sender].Release();
        }

        /// <summary>Waits until every healthy client has received the message <paramref name="sender"/> sent last.</summary>
        public Task<bool> EveryoneHasItAsync(int sender, CancellationToken abandon) => _everyoneHasIt[sender].WaitAsync(Bound, abandon);
    }

    /// <summary>A WsCore client (<see cref="SocketWebSockets.ConnectAsync"/>): sends paced messages, checks every message it receives.</summary>
    private sealed class ChatClient : IAsyncDisposable
    {
        private readonly WebSocketClientConnection _client;
        private readonly int _id;
        private readonly int[] _lastSeq = Enumerable.Repeat(-1, HealthyClients).ToArray();
        private readonly TaskCompletionSource _allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task<ConnectionReceiveResult>? _reading;
        private int _total;
        private int _expected;
        private volatile string? _failure;

        private readonly TaskCompletionSource _failed;
        private readonly CancellationToken _abandon;
        private readonly Deliveries _deliveries;

        private ChatClient(WebSocketClientConnection client, int id, TaskCompletionSource failed, Deliveries deliveries, CancellationToken abandon)
        {
            _client = client;
            _id = id;
            _failed = failed;
            _abandon = abandon;
            _deliveries = deliveries;
        }

        public WebSocketConnection Connection => _client.Connection!;
        public int Id => _id;
        public string ReadingState => _reading is null ? "not started" : _reading.IsCompletedSuccessfully ? $"ended with {_reading.Result.Kind} {_reading.Result.CloseCode}" : _reading.Status.ToString();
        public string? Failure => _failure;
        public int TotalReceived => Volatile.Read(ref _total);
        public Task AllReceived => _allReceived.Task;
        public Task<ConnectionReceiveResult> Ended => _reading ?? throw new InvalidOperationException("not reading");

        public int ReceivedFrom(int sender) => Volatile.Read(ref _lastSeq[sender]) + 1;

        public static async Task<ChatClient> ConnectAsync(int port, int id, TaskCompletionSource failed, Deliveries deliveries, CancellationToken abandon)
        {
            WebSocketClientConnection client = await SocketWebSockets.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/chat/{id}"));
            Assert.True(client.Failure is null, client.Failure);
            return new ChatClient(client, id, failed, deliveries, abandon);
        }

        public void StartReading(int expected)
        {
            _expected = expected;
            _reading = Task.Run(ReadAsync);
        }

        private async Task<ConnectionReceiveResult> ReadAsync()
        {
            byte[] message = new byte[MessageSize];
            int length = 0;
            while (true)
            {
                ConnectionReceiveResult r = await Connection.ReceiveAsync(message.AsMemory(length));
                if (r.Kind != ConnectionReceiveKind.MessageData) return r;
                length += r.Count;
                if (!r.EndOfMessage) continue;
                Check(message.AsSpan(0, length));
                length = 0;
            }
        }

        private void Check(ReadOnlySpan<byte> m)
        {
            if (m.Length != MessageSize) { Fail($"a message of {m.Length} bytes"); return; }
            int sender = BinaryPrimitives.ReadInt32BigEndian(m);
            int seq = BinaryPrimitives.ReadInt32BigEndian(m.Slice(4));
            if (sender is < 0 or >= HealthyClients) { Fail($"sender {sender}"); return; }
            if (m.Slice(8).IndexOfAnyExcept(Pattern(sender, seq)) >= 0) { Fail($"message {sender}/{seq} damaged"); return; }
            if (seq != _lastSeq[sender] + 1) { Fail($"message {sender}/{seq} after {sender}/{_lastSeq[sender]}"); return; }
            Volatile.Write(ref _lastSeq[sender], seq);
            if (_id != PausedId) _deliveries.Received(sender);
            if (Interlocked.Increment(ref _total) == _expected) _allReceived.TrySetResult();
        }

        private void Fail(string what)
        {
            _failure ??= $"client {_id}: {what}";
            var e = new InvalidOperationException(_failure);
            _allReceived.TrySetException(e);
            _ = _allReceived.Task.Exception; // observed here; the run fails through _failed
            _failed.TrySetException(e);
        }

        /// <summary>Sends <paramref name="count"/> messages, each after the echo of the one before.</summary>
        public async Task SendPacedAsync(int count)
        {
            byte[] message = new byte[MessageSize];
            for (int seq = 0; seq < count; seq++)
            {
                Fill(message, _id, seq);
                Assert.Equal(SendStatus.Done, await Connection.SendAsync(message, MessageKind.Binary).AsTask().WaitAsync(Bound));
                Assert.True(await _deliveries.EveryoneHasItAsync(_id, _abandon), $"client {_id}: message {seq} did not reach every healthy client");
            }
        }

        /// <summary>Reads until nothing has arrived for 300 ms (a backlog that ends without a close frame).</summary>
        public async Task WaitUntilQuietAsync()
        {
            int last = -1;
            var bound = Stopwatch.StartNew();
            while (TotalReceived != last)
            {
                last = TotalReceived;
                await Task.Delay(300);
                Assert.True(bound.Elapsed < Bound);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            if (_reading is not null) await _reading.WaitAsync(Bound);
        }
    }
}
