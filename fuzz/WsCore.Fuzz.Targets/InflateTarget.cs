using System.Buffers;
using WsCore.Compression;

namespace WsCore.Fuzz;

/// <summary>
/// <c>inflate</c>: <see cref="PerMessageDeflateDecompressor"/> on arbitrary data. Byte 0: window bits (8 + bits 0-2),
/// no-context-takeover (bit 3), split seed (bits 4-7); byte 1: largest piece (bits 0-2), largest destination (bits 3-5),
/// how often a piece ends a message (bits 6-7); the rest is the compressed stream. The stream is cut into messages and
/// pieces by the schedule and inflated twice: in input-chosen pieces and destination sizes, and one piece per message
/// into a large destination. Checks: no exception for any data; counts within bounds; Done only at the end of a message
/// with everything consumed; DestinationTooSmall makes progress; the output of a message is bounded (DEFLATE expands at
/// most ~1032:1); InvalidData is sticky; the call count is bounded; both runs agree message by message.
/// </summary>
public sealed class InflateTarget : IFuzzTarget
{
    private static readonly int[] s_maxPiece = [1, 2, 5, 16, 64, 300, 4096, int.MaxValue];
    private static readonly int[] s_maxDestination = [1, 2, 3, 7, 16, 100, 1024, 65536];
    private const int MaxInput = 8192;

    /// <inheritdoc/>
    public string Name => "inflate";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return;
        int windowBits = 8 + (input[0] & 7);
        bool noContext = (input[0] & 8) != 0;
        var schedule = new SplitSchedule((uint)input[0] >> 4 | (uint)input[1] << 4);
        int maxPiece = s_maxPiece[input[1] & 7];
        int maxDestination = s_maxDestination[(input[1] >> 3) & 7];
        int endRate = 1 + (input[1] >> 6); // a piece ends its message with probability 1/endRate... of [1, 2, 3, 4]
        ReadOnlySpan<byte> data = input.Slice(2, Math.Min(input.Length - 2, MaxInput));

        // The pieces: (length, ends the message), shared by both runs; messages are the runs of pieces up to an end.
        var pieces = new List<(int Start, int Length, bool End)>();
        int position = 0;
        do
        {
            int length = Math.Min(schedule.Next(Math.Min(maxPiece, data.Length + 1)) - (schedule.Next(4) == 1 ? 1 : 0), data.Length - position);
            if (maxPiece == int.MaxValue) length = data.Length - position;
            bool end = position + length == data.Length || schedule.Next(endRate * 3) == 1;
            pieces.Add((position, length, end));
            position += length;
        }
        while (position < data.Length);

        List<byte[]> split = Inflate(data, pieces, windowBits, noContext, maxDestination, ref schedule, out int splitFailedAt);

        var wholePieces = new List<(int Start, int Length, bool End)>();
        int start = 0;
        foreach ((int s, int l, bool e) in pieces)
        {
            if (!e) continue;
            wholePieces.Add((start, s + l - start, true));
            start = s + l;
        }
        var wholeSchedule = new SplitSchedule(1);
        List<byte[]> whole = Inflate(data, wholePieces, windowBits, noContext, -1, ref wholeSchedule, out int wholeFailedAt);

        Oracle.Check(splitFailedAt == wholeFailedAt, "the split run failed at message {0}", splitFailedAt + " but the one-piece run at " + wholeFailedAt);
        Oracle.Check(split.Count == whole.Count, "message counts differ: {0}", split.Count + " <> " + whole.Count);
        for (int i = 0; i < split.Count; i++)
        {
            if (i == splitFailedAt)
            {
                int common = Math.Min(split[i].Length, whole[i].Length);
                Oracle.Equal(whole[i].AsSpan(0, common), split[i].AsSpan(0, common), "output before the failure");
            }
            else
            {
                Oracle.Equal(whole[i], split[i], "message " + i);
            }
        }
    }

    /// <summary>Inflates the pieces; returns each message's output and the index of the failed message (-1 if none).</summary>
    private static List<byte[]> Inflate(ReadOnlySpan<byte> data, List<(int Start, int Length, bool End)> pieces, int windowBits, bool noContext,
        int maxDestination, ref SplitSchedule schedule, out int failedAt)
    {
        using var d = new PerMessageDeflateDecompressor(windowBits, noContext);
        var messages = new List<byte[]>();
        var current = new ArrayBufferWriter<byte>();
        byte[] destination = new byte[maxDestination < 0 ? 65536 : maxDestination];
        failedAt = -1;
        long messageInput = 0;
        int calls = 0;
        long totalWritten = 0;
        long maxCalls = 64 + 4L * data.Length + 4L * pieces.Count;
        foreach ((int start, int length, bool end) in pieces)
        {
            ReadOnlySpan<byte> source = data.Slice(start, length);
            messageInput += length;
            long bound = 1040 * (messageInput + 8) + 64;
            while (true)
            {
                int destinationLength = maxDestination < 0 ? destination.Length : schedule.Next(maxDestination);
                Oracle.Check(++calls <= maxCalls + totalWritten, "more than {0} Decompress calls: no progress", calls);
                OperationStatus s = d.Decompress(source, destination.AsSpan(0, destinationLength), end, out int consumed, out int written);
                Oracle.Check(consumed >= 0 && consumed <= source.Length && written >= 0 && written <= destinationLength,
                    "counts outside the buffers ({0})", consumed + "/" + written);
                current.Write(destination.AsSpan(0, written));
                totalWritten += written;
                source = source.Slice(consumed);
                Oracle.Check(current.WrittenCount <= bound, "a message of {0} compressed bytes inflated past the DEFLATE bound", messageInput);
                if (s == OperationStatus.InvalidData)
                {
                    Oracle.Check(d.HasFailed, "InvalidData but HasFailed is false");
                    OperationStatus again = d.Decompress("\x0\x0\xff\xff"u8, destination, true, out int c2, out int w2);
                    Oracle.Check(again == OperationStatus.InvalidData && c2 == 0 && w2 == 0, "InvalidData is not sticky: {0}", again);
                    failedAt = messages.Count;
                    messages.Add(current.WrittenSpan.ToArray());
                    return messages;
                }
                Oracle.Check(!d.HasFailed, "HasFailed without InvalidData");
                if (s == OperationStatus.DestinationTooSmall)
                {
                    Oracle.Check(written > 0, "DestinationTooSmall wrote nothing");
                    continue;
                }
                Oracle.Check(source.IsEmpty, "{0} left input unconsumed", s);
                if (s == OperationStatus.Done)
                {
                    Oracle.Check(end, "Done before the end of the message");
                    messages.Add(current.WrittenSpan.ToArray());
                    current.Clear();
                    messageInput = 0;
                }
                else
                {
                    Oracle.Check(s == OperationStatus.NeedMoreData && !end, "{0} at the end of a message", s);
                }
                break;
            }
        }
        return messages;
    }
}
