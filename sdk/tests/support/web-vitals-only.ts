// The size baseline: web-vitals' attribution build with all five metrics and nothing of ours.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';

for (const on of [onTTFB, onFCP, onLCP, onCLS, onINP]) on(console.log, { reportSoftNavs: true });
