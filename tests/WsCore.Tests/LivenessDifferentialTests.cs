using WsCore.Framing;
using System.IO.Pipelines;
using System.Net.WebSockets;
using WsCore.Pipelines;
using WsCore.Protocol;

namespace WsCore.Tests;

/// <summary>
/// The same scenario against ManagedWebSocket and WsCore, in real time (short keep-alive settings): the server
/// application is busy and does not receive for a while, the peer (a WsCore client with a receive loop) answers every
/// ping. ManagedWebSocket reads pongs only inside ReceiveAsync, so its keep-alive timeout aborts the healthy connection
/// (dotnet/docs #44611); WsCore's does not.
/// </summary>
[Collection("Timing")]
public class LivenessDifferentialTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(2000);

    /// <summary>A stream over one pipe's reader and another's writer.</summary>
    private sealed class PipeStream(PipeReader reader, PipeWriter writer) : Stream
    {
        private readonly Stream _read = reader.AsStream();
        private readonly Stream _write = writer.AsStream();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => _write.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _read.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _write.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The peer: a WsCore client that keeps receiving (so it answers every ping) until the connection ends.</summary>
    private static async Task RunPeerAsync(WebSocketConnection peer)
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            ConnectionReceiveResult r = await peer.ReceiveAsync(buffer);
            if (r.Kind != ConnectionReceiveKind.MessageData) return;
        }
    }

    [Fact]
    public async Task ManagedWebSocket_aborts_a_busy_but_healthy_connection_and_WsCore_does_not()
    {
        // ManagedWebSocket as the server.
        var toServer = new Pipe();
        var toClient = new Pipe();
        using WebSocket managed = WebSocket.CreateFromStream(new PipeStream(toServer.Reader, toClient.Writer),
            new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Interval, KeepAliveTimeout = Timeout });
        await using var managedPeer = new WebSocketConnection(new DuplexPipe(toClient.Reader, toServer.Writer), WebSocketRole.Client);
        Task managedPeerLoop = RunPeerAsync(managedPeer);

        // WsCore as the server, the same settings.
        (DuplexPipe serverSide, DuplexPipe clientSide) = DuplexPipe.CreatePair();
        await using var wscore = new WebSocketConnection(serverSide, WebSocketRole.Server,
            new WebSocketConnectionOptions { KeepAliveInterval = Interval, KeepAliveTimeout = Timeout });
        await using var wscorePeer = new WebSocketConnection(clientSide, WebSocketRole.Client);
        Task wscorePeerLoop = RunPeerAsync(wscorePeer);

        await Task.Delay(Busy); // both server applications are busy: neither receives

        Assert.Equal(System.Net.WebSockets.WebSocketState.Aborted, managed.State); // the false positive, reproduced
        Assert.False(wscore.IsAborted);
        Assert.Equal(KeepAliveAction.None, wscore.TimedOut);
        Assert.NotNull(wscore.RoundTripTime); // its pings were answered, and seen
        Assert.False(wscorePeerLoop.IsCompleted);
        wscore.Abort();
        managedPeer.Abort();
        await Task.WhenAll(managedPeerLoop, wscorePeerLoop).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
