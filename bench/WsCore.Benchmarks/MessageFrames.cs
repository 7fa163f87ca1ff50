using System.Buffers;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>Pre-built wire bytes of one message, used by the receive benchmarks of both engines.</summary>
internal static class MessageFrames
{
    public static byte[] Payload(int size, MessageType type)
    {
        var payload = new byte[size];
        if (type == MessageType.Text)
        {
            for (int i = 0; i < size; i++) payload[i] = (byte)('a' + i % 26);
        }
        else
        {
            new Random(size).NextBytes(payload);
        }
        return payload;
    }

    /// <summary>The frames of one message: masked when a client sends it; split into <paramref name="fragments"/> frames.</summary>
    public static byte[] Build(byte[] payload, MessageType type, int fragments, bool masked)
    {
        var writer = new ArrayBufferWriter<byte>();
        int fragmentSize = (payload.Length + fragments - 1) / fragments;
        int offset = 0;
        for (int i = 0; i < fragments; i++)
        {
            int length = Math.Min(fragmentSize, payload.Length - offset);
            var opcode = i == 0 ? (WebSocketOpcode)type : WebSocketOpcode.Continuation;
            FrameWriter.WriteFrame(writer, opcode, payload.AsSpan(offset, length), i == fragments - 1, 0, masked, masked ? 0x5A3C96E1u : 0);
            offset += length;
        }
        return writer.WrittenSpan.ToArray();
    }
}

/// <summary>A read-only stream that serves the same bytes over and over, so ManagedWebSocket can read forever.</summary>
internal sealed class LoopingStream(byte[] data) : Stream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        if (_position == data.Length) _position = 0;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
    public override void Write(byte[] buffer, int offset, int count) { }
    public override void Write(ReadOnlySpan<byte> buffer) { }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
