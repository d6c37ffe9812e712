/**
 * The live section of the terminal dashboard: what a live user watches, from the snapshot's
 * typed live section (live-snapshot.ts). Pure view.
 *
 *   connection
 *     stocks streaming
 *     options reconnecting (2 failed attempts; last: connection refused (ECONNREFUSED 127.0.0.1:9))
 *   msgs/s 1,234  lag stocks 12 ms, options 20 ms  rows 12,345 (1 revised)
 *   late 3 (2 dropped, 1 revised)  dropped feed 0, jsonl 0, sse clients 0
 *   last windows
 *     1m 09:35:00  close 680.13  dadvv C 1.23M P 45.6k  gadvv C 512 P 80  agg buys 12 sells 9
 *   quoted contracts 1,000  corrections 0  kept events 120,345 (0 duplicates skipped)
 *   finalize 2025-11-06 done
 */
import { Box, Text } from 'ink';
import { connectionText, droppedText, finalizeText, lagText, windowText } from './live-format.js';
import type { LiveStatus } from './live-snapshot.js';

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function LiveView({ live }: { live: LiveStatus }) {
  const late = live.late;
  const housekeeping = [
    live.quotedContracts !== undefined ? `quoted contracts ${count(live.quotedContracts)}` : '',
    `corrections ${count(live.corrections)}`,
    `kept events ${count(live.keptEvents)} (${count(live.duplicatesSkipped)} duplicates skipped)`,
  ].filter(Boolean).join('  ');
  return (
    <Box flexDirection="column">
      <Text bold>connection</Text>
      {live.connections.map((c) => (
        <Text key={c.cluster} color={c.state === 'streaming' ? 'green' : 'yellow'} wrap="truncate-end">{`  ${connectionText(c)}`}</Text>
      ))}
      <Text>{`msgs/s ${count(live.eventsPerSecond)}  lag ${lagText(live)}  rows ${count(live.rows)} (${count(live.rowsRevised)} revised)`}</Text>
      <Text>
        <Text color={late.total > 0 ? 'yellow' : undefined}>{`late ${count(late.total)} (${count(late.dropped)} dropped, ${count(late.revised)} revised)`}</Text>
        {'  '}
        <Text color={live.dropped.feed + live.dropped.jsonl + live.dropped.sseClients > 0 ? 'yellow' : undefined}>{`dropped ${droppedText(live)}`}</Text>
      </Text>
      <Text bold>last windows</Text>
      {live.lastWindows.length === 0
        ? <Text dimColor>  none closed yet</Text>
        : live.lastWindows.map((w) => <Text key={w.window} wrap="truncate-end">{`  ${windowText(w)}`}</Text>)}
      <Text dimColor wrap="truncate-end">{housekeeping}</Text>
      {live.finalize !== undefined ? <Text wrap="truncate-end">{`finalize ${finalizeText(live.finalize)}`}</Text> : null}
    </Box>
  );
}
