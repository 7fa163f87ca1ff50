using System.Buffers;
using WsCore.Framing;
using WsCore.Protocol;

namespace WsCore.Benchmarks;

/// <summary>Pre-built wire bytes of one message, used by the receive benchmarks of both engines.</summary>
internal static class MessageFrames
{
    public static byte[] Payload(int size, MessageKind type)
    {
        var payload = new byte[size];
        if (type == MessageKind.Text)
        {
            for (int i = 0; i < size; i++) payload[i] = (byte)('a' + i % 26);
        }
        else
        {
            new Random(size).NextBytes(payload);
        }
        return payload;
    }

    /// <summary>
    /// <paramref name="size"/> bytes of valid UTF-8 text in which about two thirds of the bytes belong to 2-, 3- and
    /// 4-byte characters; the last character that does not fit whole is replaced by ASCII spaces.
    /// </summary>
    public static byte[] NonAsciiText(int size)
    {
        byte[] pattern = System.Text.Encoding.UTF8.GetBytes("Grüße aus Köln, κόσμε, Привет мир, 世界你好, 😀 ok; ");
        var payload = new byte[size];
        int written = 0;
        while (written < size)
        {
            int n = Math.Min(pattern.Length, size - written);
            pattern.AsSpan(0, n).CopyTo(payload.AsSpan(written));
            written += n;
        }
        // Blank out a character cut at the end.
        int end = size;
        int start = end - 1;
        while (start > 0 && (payload[start] & 0xC0) == 0x80) start--;
        if (start >= 0 && payload[start] >= 0x80 && end - start < (payload[start] >= 0xF0 ? 4 : payload[start] >= 0xE0 ? 3 : 2))
            payload.AsSpan(start, end - start).Fill((byte)' ');
        if (!System.Text.Unicode.Utf8.IsValid(payload)) throw new InvalidOperationException("non-ASCII benchmark text is not valid UTF-8");
        return payload;
    }

    /// <summary>The frames of one message: masked when a client sends it; split into <paramref name="fragments"/> frames.</summary>
    public static byte[] Build(byte[] payload, MessageKind type, int fragments, bool masked)
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
